"""A CPU-bound pure-Python workload for bench/python.sh: function calls,
integer arithmetic, lists, dicts, strings and a little recursion, in about
0.3-0.5 s on native CPython 3.11. Prints one checksum line that every runner
must reproduce."""
import sys


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def sieve(n):
    flags = bytearray([1]) * (n + 1)
    flags[0] = flags[1] = 0
    for i in range(2, int(n ** 0.5) + 1):
        if flags[i]:
            flags[i * i :: i] = bytes(len(range(i * i, n + 1, i)))
    return sum(flags)


def words(count):
    state = 12345
    vocab = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
    out = []
    for _ in range(count):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        out.append(vocab[state % len(vocab)] + str(state % 97))
    text = " ".join(out)
    freq = {}
    for w in text.split():
        freq[w] = freq.get(w, 0) + 1
    top = sorted(freq.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    return len(freq), top[0][1], sum(len(k) for k, _ in top)


class Vec:
    __slots__ = ("x", "y")

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __add__(self, other):
        return Vec(self.x + other.x, self.y + other.y)

    def scale(self, k):
        return Vec(self.x * k, self.y * k)


def objects(steps):
    pos, vel = Vec(0.0, 0.0), Vec(1.0, 0.5)
    for i in range(steps):
        vel = vel.scale(0.999) + Vec((i % 7) * 0.001, -(i % 5) * 0.001)
        pos = pos + vel
    return round(pos.x, 6), round(pos.y, 6)


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    results = []
    for _ in range(reps):
        results.append((fib(22), sieve(300_000), words(40_000), objects(100_000)))
    print("checksum", len(results), results[-1])


main()

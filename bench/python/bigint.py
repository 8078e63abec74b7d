"""Big-integer arithmetic for bench/ab.sh: long multiplication (k_mul) and
division (x_divrem), where mpmath's test suite spends a fifth of its time
under wasipy. Prints one checksum line that every runner must reproduce."""
import sys

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 30
x = 7 ** 20000
y = 3 ** 15000
s = 0
for i in range(rounds):
    q, r = divmod(x * y, y + i)
    s ^= r & 0xFFFF
print("checksum", rounds, s)

package org.stemstream.hdf5;

/** Bob Jenkins' lookup3 {@code hashlittle}, the checksum of HDF5's version-2 metadata structures. */
final class Lookup3 {
    private Lookup3() {
    }

    static int hash(byte[] data, int offset, int length, int initval) {
        int a = 0xDEADBEEF + length + initval;
        int b = a;
        int c = a;
        int k = offset;
        int remaining = length;
        while (remaining > 12) {
            a += word(data, k);
            b += word(data, k + 4);
            c += word(data, k + 8);
            a -= c; a ^= Integer.rotateLeft(c, 4); c += b;
            b -= a; b ^= Integer.rotateLeft(a, 6); a += c;
            c -= b; c ^= Integer.rotateLeft(b, 8); b += a;
            a -= c; a ^= Integer.rotateLeft(c, 16); c += b;
            b -= a; b ^= Integer.rotateLeft(a, 19); a += c;
            c -= b; c ^= Integer.rotateLeft(b, 4); b += a;
            remaining -= 12;
            k += 12;
        }
        if (remaining == 0) {
            return c;
        }
        a += tail(data, k, Math.min(remaining, 4));
        if (remaining > 4) {
            b += tail(data, k + 4, Math.min(remaining - 4, 4));
        }
        if (remaining > 8) {
            c += tail(data, k + 8, remaining - 8);
        }
        c ^= b; c -= Integer.rotateLeft(b, 14);
        a ^= c; a -= Integer.rotateLeft(c, 11);
        b ^= a; b -= Integer.rotateLeft(a, 25);
        c ^= b; c -= Integer.rotateLeft(b, 16);
        a ^= c; a -= Integer.rotateLeft(c, 4);
        b ^= a; b -= Integer.rotateLeft(a, 14);
        c ^= b; c -= Integer.rotateLeft(b, 24);
        return c;
    }

    private static int word(byte[] d, int i) {
        return tail(d, i, 4);
    }

    /** Up to four bytes, little-endian. */
    private static int tail(byte[] d, int i, int n) {
        int v = 0;
        for (int j = n - 1; j >= 0; j--) {
            v = (v << 8) | (d[i + j] & 0xFF);
        }
        return v;
    }
}

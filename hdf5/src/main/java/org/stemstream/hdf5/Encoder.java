package org.stemstream.hdf5;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A growable little-endian byte buffer for HDF5 metadata, with the encodings of the few structures we write. */
final class Encoder {
    static final long UNDEFINED_ADDRESS = -1L;

    private ByteBuffer buffer = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);

    Encoder u8(int v) {
        ensure(1).put((byte) v);
        return this;
    }

    Encoder u16(int v) {
        ensure(2).putShort((short) v);
        return this;
    }

    Encoder u32(long v) {
        ensure(4).putInt((int) v);
        return this;
    }

    Encoder u64(long v) {
        ensure(8).putLong(v);
        return this;
    }

    Encoder bytes(byte[] v) {
        ensure(v.length).put(v);
        return this;
    }

    Encoder ascii(String s) {
        return bytes(s.getBytes(StandardCharsets.US_ASCII));
    }

    int size() {
        return buffer.position();
    }

    byte[] toArray() {
        return Arrays.copyOf(buffer.array(), buffer.position());
    }

    /** Appends the lookup3 checksum of everything written so far. */
    Encoder checksum() {
        return u32(Lookup3.hash(buffer.array(), 0, buffer.position(), 0));
    }

    private ByteBuffer ensure(int n) {
        if (buffer.remaining() < n) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(buffer.capacity() * 2, buffer.position() + n))
                    .order(ByteOrder.LITTLE_ENDIAN);
            bigger.put(buffer.flip());
            buffer = bigger;
        }
        return buffer;
    }

    // ---- datatype messages -------------------------------------------------------------------------------------

    static byte[] unsignedInt32() {
        return fixedPoint(4, false);
    }

    static byte[] signedInt64() {
        return fixedPoint(8, true);
    }

    static byte[] fixedPoint(int size, boolean signed) {
        return new Encoder().u8(0x10).u8(signed ? 0x08 : 0).u8(0).u8(0).u32(size)
                .u16(0).u16(size * 8).toArray();
    }

    static byte[] float64() {
        return new Encoder().u8(0x11).u8(0x20).u8(63).u8(0).u32(8)
                .u16(0).u16(64).u8(52).u8(11).u8(0).u8(52).u32(1023).toArray();
    }

    /**
     * A variable-length UTF-8 string (h5py reads it as {@code str}); on disk a byte length, a heap collection address
     * and an index, like a sequence of unsigned bytes.
     */
    static byte[] utf8String() {
        return new Encoder().u8(0x19).u8(0x01).u8(0x01).u8(0).u32(4 + 8 + 4).bytes(fixedPoint(1, false)).toArray();
    }

    /**
     * numpy's bool as h5py writes it, which h5py reads back as {@code numpy.bool_}: an enum (version 3, names not
     * padded) of int8 with the members FALSE = 0 and TRUE = 1.
     */
    static byte[] bool() {
        return new Encoder().u8(0x38).u16(2).u8(0).u32(1).bytes(fixedPoint(1, true))
                .ascii("FALSE\0TRUE\0").u8(0).u8(1).toArray();
    }

    /** A variable-length sequence of the base type; on disk a length, a heap collection address and an index. */
    static byte[] sequenceOf(byte[] baseType) {
        return new Encoder().u8(0x19).u8(0).u8(0).u8(0).u32(4 + 8 + 4).bytes(baseType).toArray();
    }

    // ---- dataspace messages ------------------------------------------------------------------------------------

    static byte[] scalarSpace() {
        return new Encoder().u8(2).u8(0).u8(0).u8(0).toArray();
    }

    static byte[] simpleSpace(long length) {
        return new Encoder().u8(2).u8(1).u8(0).u8(1).u64(length).toArray();
    }
}

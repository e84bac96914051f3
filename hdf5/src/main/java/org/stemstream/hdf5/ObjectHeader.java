package org.stemstream.hdf5;

import java.nio.charset.StandardCharsets;

/** Builds a version-2 object header ("OHDR") out of messages. */
final class ObjectHeader {
    static final int DATASPACE = 0x01;
    static final int LINK_INFO = 0x02;
    static final int DATATYPE = 0x03;
    static final int LINK = 0x06;
    static final int LAYOUT = 0x08;
    static final int GROUP_INFO = 0x0A;
    static final int ATTRIBUTE = 0x0C;

    private final Encoder messages = new Encoder();

    ObjectHeader message(int type, byte[] body) {
        if (body.length > 0xFFFF) {
            throw new IllegalArgumentException("an object header message is limited to 65535 bytes");
        }
        messages.u8(type).u16(body.length).u8(0).bytes(body);
        return this;
    }

    /** A group with compact (in-header) link storage. */
    static ObjectHeader group() {
        return new ObjectHeader()
                .message(LINK_INFO, new Encoder().u8(0).u8(0)
                        .u64(Encoder.UNDEFINED_ADDRESS).u64(Encoder.UNDEFINED_ADDRESS).toArray())
                .message(GROUP_INFO, new Encoder().u8(0).u8(0).toArray());
    }

    /** A contiguous dataset whose raw data is already written at {@code address}. */
    static ObjectHeader dataset(byte[] datatype, byte[] dataspace, long address, long size) {
        return new ObjectHeader()
                .message(DATASPACE, dataspace)
                .message(DATATYPE, datatype)
                .message(LAYOUT, new Encoder().u8(3).u8(1).u64(address).u64(size).toArray());
    }

    ObjectHeader link(String name, long address) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        if (n.length > 0xFF) {
            throw new IllegalArgumentException("link name too long: " + name);
        }
        return message(LINK, new Encoder().u8(1).u8(0x10).u8(1).u8(n.length).bytes(n).u64(address).toArray());
    }

    ObjectHeader attribute(String name, byte[] datatype, byte[] dataspace, byte[] value) {
        byte[] n = (name + "\0").getBytes(StandardCharsets.UTF_8);
        return message(ATTRIBUTE, new Encoder().u8(3).u8(0).u16(n.length).u16(datatype.length)
                .u16(dataspace.length).u8(1).bytes(n).bytes(datatype).bytes(dataspace).bytes(value).toArray());
    }

    /** The encoded header: signature, version 2, a 4-byte chunk size, the messages and the checksum. */
    byte[] encode() {
        return new Encoder().ascii("OHDR").u8(2).u8(0x02).u32(messages.size()).bytes(messages.toArray())
                .checksum().toArray();
    }
}

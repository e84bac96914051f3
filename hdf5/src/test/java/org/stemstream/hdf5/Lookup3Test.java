package org.stemstream.hdf5;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Lookup3Test {
    @Test
    void matchesTheReferenceVectorsOfLookup3() {
        byte[] text = "Four score and seven years ago".getBytes(StandardCharsets.US_ASCII);
        assertEquals(0xDEADBEEF, Lookup3.hash(new byte[0], 0, 0, 0));
        assertEquals(0x17770551, Lookup3.hash(text, 0, text.length, 0));
        assertEquals(0xCD628161, Lookup3.hash(text, 0, text.length, 1));
    }
}

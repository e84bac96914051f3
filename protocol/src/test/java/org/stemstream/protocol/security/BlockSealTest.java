package org.stemstream.protocol.security;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.stemstream.protocol.FrameGeometry.SECTOR_BYTES;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.stemstream.protocol.BlockHeader;
import org.stemstream.protocol.EndOfScan;
import org.stemstream.protocol.security.BlockSeal.Verdict;

class BlockSealTest {
    private final ProducerKey key = ProducerKey.generate();
    private final byte[] header = new BlockHeader(7, 42, 8, 8, 2, 5).toBytes();
    private final byte[] payload = new byte[SECTOR_BYTES];
    /** The node's keys of the last session made. */
    private SessionKeys lastOpened;

    BlockSealTest() {
        new Random(1).nextBytes(payload);
    }

    /** A producer's seal and a node's, as the handshake makes them. */
    private BlockSeal[] session() {
        SessionHandshake.Hello hello = SessionHandshake.Hello.fresh(2);
        SessionHandshake.Opened opened = SessionHandshake.open(key, SessionHandshake.Hello.decode(hello.encode()));
        lastOpened = opened.keys();
        SessionKeys producer = SessionHandshake.accept(key, hello,
                SessionHandshake.Welcome.decode(opened.welcome().encode()));
        return new BlockSeal[] {new BlockSeal(producer), new BlockSeal(opened.keys())};
    }

    @Test
    void aBlockInClearOrEncryptedOpensOnceAsItWasSent() {
        BlockSeal[] s = session();
        BlockSeal.Sealed clear = s[0].sealBlock(header, payload, false);
        assertEquals(Verdict.ACCEPTED, s[1].openBlock(header, clear.payload(), clear.seal()));
        assertEquals(Verdict.REPLAYED, s[1].openBlock(header, clear.payload(), clear.seal()));

        BlockSeal.Sealed encrypted = s[0].sealBlock(header, payload, true);
        assertEquals(BlockSeal.ENCRYPTED_PAYLOAD_BYTES, encrypted.payload().length);
        assertEquals(false, Arrays.equals(payload, 0, 1024, encrypted.payload(), 0, 1024));
        byte[] received = encrypted.payload().clone();
        assertEquals(Verdict.ACCEPTED, s[1].openBlock(header, received, encrypted.seal()));
        assertArrayEquals(payload, Arrays.copyOf(received, SECTOR_BYTES));

        byte[] end = new EndOfScan(7, 2, 2).toBytes();
        assertEquals(Verdict.ACCEPTED, s[1].openEnd(end, end.length, s[0].sealEnd(end)));
    }

    @Test
    void oneFlippedBitAnywhereIsTampering() {
        BlockSeal[] s = session();
        BlockSeal.Sealed clear = s[0].sealBlock(header, payload, false);
        byte[] flipped = payload.clone();
        flipped[100_000] ^= 0x10;
        assertEquals(Verdict.TAMPERED, s[1].openBlock(header, flipped, clear.seal()));
        byte[] otherHeader = header.clone();
        otherHeader[4] ^= 1;
        assertEquals(Verdict.TAMPERED, s[1].openBlock(otherHeader, payload, clear.seal()));
        byte[] seal = clear.seal().clone();
        seal[16] = BlockSeal.KIND_END; // a block passed off as an end of scan
        assertEquals(Verdict.TAMPERED, s[1].openEnd(header, header.length, seal));
        // the genuine block still opens: a forgery moves no sequence on
        assertEquals(Verdict.ACCEPTED, s[1].openBlock(header, payload, clear.seal()));

        BlockSeal.Sealed encrypted = s[0].sealBlock(header, payload, true);
        byte[] tampered = encrypted.payload().clone();
        tampered[5] ^= 1;
        assertEquals(Verdict.TAMPERED, s[1].openBlock(header, tampered, encrypted.seal()));
    }

    @Test
    void anotherSessionsSealOrAnotherKeyDoesNotOpen() {
        BlockSeal[] a = session();
        BlockSeal[] b = session();
        BlockSeal.Sealed sealed = a[0].sealBlock(header, payload, false);
        assertEquals(Verdict.TAMPERED, b[1].openBlock(header, payload, sealed.seal()));

        SessionHandshake.Hello hello = SessionHandshake.Hello.fresh(0);
        SessionHandshake.Opened other = SessionHandshake.open(ProducerKey.generate(), hello);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SessionHandshake.accept(key, hello, other.welcome()));
        assertEquals(true, e.getMessage().contains("does not hold this deployment's producer key"));
    }

    @Test
    void onlyTheNodesAnswerToThisQuestionIsTaken() {
        BlockSeal[] s = session();
        SessionKeys nodeKeys = lastOpened;
        byte[] challenge = s[0].challenge();
        byte[][] answer = {"stemstream-stored 1 7 open 0".getBytes(), new byte[] {0x0f}};
        byte[] seal = BlockSeal.sealAnswer(nodeKeys, challenge, answer);
        assertEquals(true, s[0].answerMatches(challenge, answer, seal));
        byte[][] forged = {answer[0], new byte[] {(byte) 0xff}};
        assertEquals(false, s[0].answerMatches(challenge, forged, seal), "frames claimed stored that were not");
        assertEquals(false, s[0].answerMatches(s[0].challenge(), answer, seal), "an old answer, to another question");
        assertEquals(false, s[0].answerMatches(challenge, answer, null), "an answer without a seal");
    }

    @Test
    void malformedHandshakesAreNamed() {
        assertThrows(IllegalArgumentException.class, () -> SessionHandshake.Hello.decode(
                "stemstream-hello 1 9 00".getBytes()));
        assertThrows(IllegalArgumentException.class, () -> SessionHandshake.Hello.decode(
                "stemstream-hello 1 1 zz".getBytes()));
        assertThrows(IllegalArgumentException.class, () -> SessionHandshake.Welcome.decode(
                "stemstream-session 1 12".getBytes()));
    }
}

package org.stemstream.node.security;

import static org.stemstream.protocol.FrameGeometry.SECTOR_BYTES;

import java.time.Duration;
import org.stemstream.protocol.BlockHeader;
import org.stemstream.protocol.security.BlockSeal;
import org.stemstream.protocol.security.ProducerKey;
import org.stemstream.protocol.security.SessionHandshake;

/**
 * Checks made-up sealed blocks, in clear and encrypted, until the JIT has compiled what checks them: uncompiled, the
 * JDK's AES-GCM takes milliseconds per block (its CPU instructions are used only from compiled code, which took some
 * 350 whole blocks to come, about 3 s of a core), so a node's first encrypted scan would otherwise crawl.
 */
public final class SealWarmUp {
    /** A block sealed and checked by compiled code takes well below this (0.2-0.3 ms), uncompiled 5-10 ms. */
    private static final long FAST_NANOS = 1_000_000;
    private static final int FAST_IN_A_ROW = 5;

    private SealWarmUp() {
    }

    /** Warms up until blocks of both kinds check fast, or the budget is spent; true when they do. */
    public static boolean run(Duration budget) {
        long end = System.nanoTime() + budget.toNanos();
        SessionHandshake.Hello hello = SessionHandshake.Hello.fresh(0);
        ProducerKey key = ProducerKey.generate();
        SessionHandshake.Opened opened = SessionHandshake.open(key, hello);
        BlockSeal producer = new BlockSeal(SessionHandshake.accept(key, hello, opened.welcome()));
        BlockSeal node = new BlockSeal(opened.keys());
        byte[] header = new BlockHeader(0, 0, 1, 1, 0, 0).toBytes();
        byte[] payload = new byte[SECTOR_BYTES];
        boolean[] fast = new boolean[2];
        int[] inARow = new int[2];
        while (!(fast[0] && fast[1]) && System.nanoTime() < end) {
            for (int kind = 0; kind < 2; kind++) {
                long start = System.nanoTime();
                BlockSeal.Sealed sealed = producer.sealBlock(header, payload, kind == 1);
                node.openBlock(header, sealed.payload(), sealed.seal());
                inARow[kind] = System.nanoTime() - start < FAST_NANOS ? inARow[kind] + 1 : 0;
                fast[kind] |= inARow[kind] >= FAST_IN_A_ROW;
            }
        }
        return fast[0] && fast[1];
    }
}

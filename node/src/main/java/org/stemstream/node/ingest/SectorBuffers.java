package org.stemstream.node.ingest;

import static org.stemstream.protocol.FrameGeometry.SECTOR_BYTES;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;
import org.agrona.concurrent.ManyToManyConcurrentArrayQueue;
import org.stemstream.protocol.security.BlockSeal;
import zmq.Msg;
import zmq.msg.MsgAllocator;

/**
 * Preallocated sector payload buffers, reused in place: JeroMQ decodes each received sector straight into one of
 * them (as the sockets' message allocator), the kernel counts it there, and the counting step gives it back.
 *
 * <p>Each buffer has room for an encrypted sector and its tag ({@link BlockSeal#ENCRYPTED_PAYLOAD_BYTES}), which is
 * decrypted in place: the pixels are always its first {@code SECTOR_BYTES}.
 *
 * <p>The pool never blocks: JeroMQ calls the allocator on its I/O threads, so when every buffer is in use a fresh one
 * is made (and counted as a miss). Memory stays bounded by the stream's own limits (receive high-water marks, open
 * frames, frames in counting); the pool only removes the garbage.
 */
public final class SectorBuffers implements MsgAllocator {
    /** A buffer's length. */
    static final int BUFFER_BYTES = BlockSeal.ENCRYPTED_PAYLOAD_BYTES;

    private final int capacity;
    private final ManyToManyConcurrentArrayQueue<byte[]> free;
    private final AtomicLong misses = new AtomicLong();
    private final java.util.concurrent.atomic.AtomicInteger inUse = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger peakInUse = new java.util.concurrent.atomic.AtomicInteger();

    public SectorBuffers(int capacity) {
        this.capacity = capacity;
        free = new ManyToManyConcurrentArrayQueue<>(capacity);
        for (int i = 0; i < capacity; i++) {
            free.offer(new byte[BUFFER_BYTES]);
        }
    }

    @Override
    public Msg allocate(int size) {
        if (size != SECTOR_BYTES && size != BUFFER_BYTES) {
            return new Msg(size);
        }
        return new Msg(ByteBuffer.wrap(take(), 0, size));
    }

    /** A buffer from the pool, or a new one when the pool is empty. */
    public byte[] take() {
        peakInUse.accumulateAndGet(inUse.incrementAndGet(), Math::max);
        byte[] buffer = free.poll();
        if (buffer == null) {
            misses.incrementAndGet();
            return new byte[BUFFER_BYTES];
        }
        return buffer;
    }

    /** Returns a sector buffer for reuse; null is ignored, and a full pool lets the buffer go. */
    public void release(byte[] buffer) {
        if (buffer != null && buffer.length == BUFFER_BYTES) {
            inUse.decrementAndGet();
            free.offer(buffer);
        }
    }

    /** Buffers made because the pool was empty. */
    public long misses() {
        return misses.get();
    }

    /** Buffers the pool was made with. */
    public int capacity() {
        return capacity;
    }

    /** Sector buffers held now. */
    public int inUse() {
        return inUse.get();
    }

    /** The most sector buffers ever held at once: by ZeroMQ's queues, the assembler and the counting step. */
    public int peakInUse() {
        return peakInUse.get();
    }
}

package org.stemstream.producer;

import static org.stemstream.protocol.FrameGeometry.SECTOR_BYTES;

import java.nio.ByteBuffer;
import org.stemstream.protocol.BlockHeader;
import org.stemstream.protocol.StoredFrames;
import org.stemstream.protocol.cluster.RoutingTable;

/**
 * The blocks a producer has sent and keeps until the cluster has stored their frames: a ring of slots in send order,
 * each a copy of the block (its buffers allocated on first use and reused after), its frame number and the node it
 * went to, or is held back for while that node is silent (not sent yet). A slot is freed when its frame is
 * acknowledged; the ring's head moves past freed slots, so a frame never acknowledged holds the slots after it (and
 * sending then waits: nothing is dropped).
 */
final class Retention {
    private static final int HEADER_BYTES = BlockHeader.BYTES;

    private final int capacity;
    /** Each slot's header bytes, wrapped once so that keeping a block allocates nothing after the slot's first use. */
    private final ByteBuffer[] headers;
    /** The slots' own buffers, for copies of payloads the caller reuses. */
    private final byte[][] copies;
    /** What each slot sends: its own copy, or a payload the caller never changes. */
    private final byte[][] payloads;
    private final long[] frames;
    private final RoutingTable.Endpoint[] sentTo;
    private final boolean[] held;
    /** Kept but not sent yet: its node ({@link #sentTo}) fell silent. */
    private final boolean[] heldBack;
    private int head;
    private int used;
    private int heldCount;
    private int heldBackCount;
    private int peakHeld;

    Retention(long bytes) {
        this.capacity = (int) Math.min(Integer.MAX_VALUE - 8, bytes / (SECTOR_BYTES + HEADER_BYTES));
        if (capacity < 1) {
            throw new IllegalArgumentException("a retention of " + bytes + " bytes holds no block of "
                    + (SECTOR_BYTES + HEADER_BYTES) + " bytes");
        }
        this.headers = new ByteBuffer[capacity];
        this.copies = new byte[capacity][];
        this.payloads = new byte[capacity][];
        this.frames = new long[capacity];
        this.sentTo = new RoutingTable.Endpoint[capacity];
        this.held = new boolean[capacity];
        this.heldBack = new boolean[capacity];
    }

    boolean full() {
        return used == capacity;
    }

    int held() {
        return heldCount;
    }

    /** How many kept blocks wait, unsent, for a node that fell silent. */
    int heldBack() {
        return heldBackCount;
    }

    /** The most blocks held at once, and their bytes. */
    long peakBytes() {
        return (long) peakHeld * (SECTOR_BYTES + HEADER_BYTES);
    }

    /**
     * Keeps a block in the next slot (the ring must not be full); returns the slot. The payload is copied unless the
     * caller never changes it ({@code shared}), then it is kept as it is.
     */
    int keep(BlockHeader header, byte[] payload, boolean shared) {
        int slot = (head + used) % capacity;
        if (headers[slot] == null) {
            headers[slot] = ByteBuffer.allocate(HEADER_BYTES);
        }
        header.write(headers[slot].clear());
        if (shared) {
            payloads[slot] = payload;
        } else {
            if (copies[slot] == null) {
                copies[slot] = new byte[SECTOR_BYTES];
            }
            System.arraycopy(payload, 0, copies[slot], 0, SECTOR_BYTES);
            payloads[slot] = copies[slot];
        }
        frames[slot] = header.frameNumber();
        sentTo[slot] = null;
        held[slot] = true;
        used++;
        heldCount++;
        peakHeld = Math.max(peakHeld, heldCount);
        return slot;
    }

    byte[] header(int slot) {
        return headers[slot].array();
    }

    byte[] payload(int slot) {
        return payloads[slot];
    }

    long frame(int slot) {
        return frames[slot];
    }

    RoutingTable.Endpoint sentTo(int slot) {
        return sentTo[slot];
    }

    /** The block went to this node. */
    void sentTo(int slot, RoutingTable.Endpoint endpoint) {
        sentTo[slot] = endpoint;
        if (heldBack[slot]) {
            heldBack[slot] = false;
            heldBackCount--;
        }
    }

    /** The block is for this node, which fell silent: it waits, unsent, until the node answers or is replaced. */
    void holdBackFor(int slot, RoutingTable.Endpoint endpoint) {
        sentTo[slot] = endpoint;
        if (!heldBack[slot]) {
            heldBack[slot] = true;
            heldBackCount++;
        }
    }

    boolean isHeldBack(int slot) {
        return heldBack[slot];
    }

    /** Lets a slot go without an acknowledgement (its block could not be sent). */
    void release(int slot) {
        if (held[slot]) {
            free(slot);
            advance();
        }
    }

    /** The lowest frame held, or -1 when nothing is. */
    long lowestFrame() {
        long lowest = Long.MAX_VALUE;
        for (int i = 0; i < used; i++) {
            int slot = (head + i) % capacity;
            if (held[slot]) {
                lowest = Math.min(lowest, frames[slot]);
            }
        }
        return heldCount == 0 ? -1 : lowest;
    }

    /** The highest frame held, or -1 when nothing is. */
    long highestFrame() {
        long highest = -1;
        for (int i = 0; i < used; i++) {
            int slot = (head + i) % capacity;
            if (held[slot]) {
                highest = Math.max(highest, frames[slot]);
            }
        }
        return highest;
    }

    /** Frees the slots whose frames a node says are stored; returns how many. */
    int acknowledge(StoredFrames stored) {
        int freed = 0;
        for (int i = 0; i < used; i++) {
            int slot = (head + i) % capacity;
            if (held[slot] && stored.isStored(frames[slot])) {
                free(slot);
                freed++;
            }
        }
        advance();
        return freed;
    }

    /** Each held slot, oldest first. */
    void forEachHeld(java.util.function.IntConsumer action) {
        for (int i = 0; i < used; i++) {
            int slot = (head + i) % capacity;
            if (held[slot]) {
                action.accept(slot);
            }
        }
    }

    private void free(int slot) {
        held[slot] = false;
        heldCount--;
        if (heldBack[slot]) {
            heldBack[slot] = false;
            heldBackCount--;
        }
    }

    private void advance() {
        while (used > 0 && !held[head]) {
            head = (head + 1) % capacity;
            used--;
        }
    }
}

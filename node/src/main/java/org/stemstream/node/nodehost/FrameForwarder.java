package org.stemstream.node.nodehost;

import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import org.agrona.collections.Long2LongHashMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.stemstream.protocol.cluster.NodeProtocol;
import org.stemstream.protocol.cluster.WriterProtocol;

/**
 * Sends a node's counted frames (their sparse events) to the scan's writer in batches, with at most
 * {@code maxUnstored} batches unacknowledged: when the writer falls behind, {@link #add} waits, and so does the
 * counting step behind it. Actor messages may be dropped by the transport when it is overloaded, so this flow
 * control is what keeps the cluster's event path bounded and lossless.
 */
public final class FrameForwarder {
    private static final int MAX_FRAMES = 64;
    private static final int MAX_EVENTS = 32_768;
    private static final long STORE_TIMEOUT_MILLIS = 60_000;

    private final long scanNumber;
    private final ActorRef<WriterProtocol.Command> writer;
    private final ActorRef<NodeProtocol.Command> storedTo;
    private final int maxUnstored;

    private long[] frameNumbers = new long[MAX_FRAMES];
    private int[] positions = new int[MAX_FRAMES];
    private boolean[] complete = new boolean[MAX_FRAMES];
    private int[] counts = new int[MAX_FRAMES];
    private int[] events = new int[MAX_EVENTS];
    private int frames;
    private int eventCount;
    private long nextBatch;
    /** Batch number -> frames in it, for batches not yet stored. */
    private final Long2LongHashMap unstored = new Long2LongHashMap(-1);
    private long forwarded;
    private long stored;
    private CompletableFuture<Long> drained;

    public FrameForwarder(long scanNumber, ActorRef<WriterProtocol.Command> writer,
                          ActorRef<NodeProtocol.Command> storedTo, int maxUnstored) {
        this.scanNumber = scanNumber;
        this.writer = writer;
        this.storedTo = storedTo;
        this.maxUnstored = maxUnstored;
    }

    /** Adds a counted frame; may wait for the writer to catch up. */
    public synchronized void add(long frameNumber, int position, boolean isComplete, int[] frameEvents, int n)
            throws IOException, InterruptedException {
        if (frames == MAX_FRAMES || eventCount + n > events.length && frames > 0) {
            send();
        }
        if (n > events.length) {
            events = Arrays.copyOf(events, n);
        }
        frameNumbers[frames] = frameNumber;
        positions[frames] = position;
        complete[frames] = isComplete;
        counts[frames] = n;
        System.arraycopy(frameEvents, 0, events, eventCount, n);
        frames++;
        eventCount += n;
    }

    /** Sends a partial batch that has waited (called on a timer). */
    public synchronized void sendPending() throws IOException, InterruptedException {
        if (frames > 0 && unstored.size() < maxUnstored) {
            send();
        }
    }

    private void send() throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + STORE_TIMEOUT_MILLIS;
        while (unstored.size() >= maxUnstored) {
            long wait = deadline - System.currentTimeMillis();
            if (wait <= 0) {
                throw new IOException("scan " + scanNumber + ": its writer stored nothing for "
                        + STORE_TIMEOUT_MILLIS / 1000 + " s");
            }
            wait(wait);
        }
        long batch = nextBatch++;
        writer.tell(new WriterProtocol.Frames(scanNumber, batch, Arrays.copyOf(frameNumbers, frames),
                Arrays.copyOf(positions, frames), Arrays.copyOf(complete, frames), Arrays.copyOf(counts, frames),
                Arrays.copyOf(events, eventCount), storedTo));
        unstored.put(batch, frames);
        forwarded += frames;
        frames = 0;
        eventCount = 0;
    }

    /** The writer stored a batch. */
    public synchronized void stored(long batch) {
        long n = unstored.remove(batch);
        if (n >= 0) {
            stored += n;
        }
        notifyAll();
        if (drained != null && unstored.isEmpty()) {
            drained.complete(stored);
        }
    }

    /** Sends what is left; completes with the frames stored once the writer has stored every batch. */
    public synchronized CompletableFuture<Long> drain() {
        try {
            if (frames > 0) {
                send();
            }
        } catch (IOException | InterruptedException e) {
            return CompletableFuture.failedFuture(e);
        }
        drained = new CompletableFuture<>();
        if (unstored.isEmpty()) {
            drained.complete(stored);
        }
        return drained;
    }

    public synchronized long forwarded() {
        return forwarded;
    }
}

package org.stemstream.node.nodehost;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.collections.LongHashSet;
import org.apache.pekko.actor.typed.ActorRef;
import org.stemstream.node.metrics.NodeMetrics;
import org.stemstream.protocol.cluster.CoordinatorProtocol;
import org.stemstream.protocol.cluster.WorkerProtocol;
import org.stemstream.protocol.cluster.WriterProtocol;

/**
 * One scan as one counting worker carries it: the batch of counted frames being filled, the batches sent to the
 * writer and not yet stored, the replies held back while out of credit, and the partition's accounts. Owned by its
 * worker; touched by nothing else.
 *
 * <p>Batches go to the coordinator, which passes them to the scan's writer wherever it runs; one not stored within
 * {@link #RESEND_AFTER_NANOS} goes again (the coordinator may have moved, losing what it held), and the writer takes
 * each batch once.
 */
final class PartitionScan {
    static final int MAX_FRAMES = 64;
    private static final int MAX_EVENTS = 32_768;
    static final long RESEND_AFTER_NANOS = 5_000_000_000L;

    private final long scanNumber;
    private final ActorRef<CoordinatorProtocol.Command> coordinator;
    private final ActorRef<WorkerProtocol.Command> storedTo;

    private final long[] frameNumbers = new long[MAX_FRAMES];
    private final int[] positions = new int[MAX_FRAMES];
    private final boolean[] complete = new boolean[MAX_FRAMES];
    private final int[] counts = new int[MAX_FRAMES];
    private int[] events = new int[MAX_EVENTS];
    private int frames;
    private int eventCount;

    private long nextBatch;
    /** Batches sent and not yet stored, by number. */
    private final Long2ObjectHashMap<WriterProtocol.Frames> unstored = new Long2ObjectHashMap<>();
    /** When each unstored batch was sent (System.nanoTime), by number. */
    private final Long2LongHashMap sentNanos = new Long2LongHashMap(0);
    private final NodeMetrics metrics;
    /** Full batches waiting for credit, oldest first. */
    private final List<WriterProtocol.Frames> full = new ArrayList<>();
    private final List<WorkerProtocol.Count> heldReplies = new ArrayList<>();
    private final List<ActorRef<WorkerProtocol.Flushed>> flushes = new ArrayList<>();
    /** Frames taken, so that one sent again (its reply was lost while the partition moved) is taken once. */
    private final LongHashSet taken = new LongHashSet();

    private long counted;
    private long incomplete;
    private long highestFrame = -1;
    private long eventsSent;
    private long eventsStored;
    private long framesStored;
    private long reportedCounted = -1;
    private long reportedStored = -1;

    PartitionScan(long scanNumber, ActorRef<CoordinatorProtocol.Command> coordinator,
                  ActorRef<WorkerProtocol.Command> storedTo, NodeMetrics metrics) {
        this.scanNumber = scanNumber;
        this.metrics = metrics;
        this.coordinator = coordinator;
        this.storedTo = storedTo;
    }

    long scanNumber() {
        return scanNumber;
    }

    /**
     * Takes a counted frame into the batch being filled (a full batch waits for {@link #sendFullBatches}); false
     * when this frame was taken before.
     */
    boolean add(WorkerProtocol.Count count) {
        if (!taken.add(count.frameNumber())) {
            return false;
        }
        int n = count.events().length;
        if (frames == MAX_FRAMES || eventCount + n > events.length && frames > 0) {
            full.add(batch());
        }
        if (n > events.length) {
            events = Arrays.copyOf(events, n);
        }
        frameNumbers[frames] = count.frameNumber();
        positions[frames] = count.position();
        complete[frames] = count.complete();
        counts[frames] = n;
        System.arraycopy(count.events(), 0, events, eventCount, n);
        frames++;
        eventCount += n;
        counted++;
        if (!count.complete()) {
            incomplete++;
        }
        highestFrame = Math.max(highestFrame, count.frameNumber());
        return true;
    }

    /** Sends full batches while fewer than {@code credit} are unstored. */
    void sendFullBatches(int credit) {
        while (!full.isEmpty() && unstored.size() < credit) {
            send(full.remove(0));
        }
    }

    /** Sends full batches and the one being filled, as credit allows (a timer's or a flush's partial send). */
    void sendPending(int credit) {
        sendFullBatches(credit);
        if (full.isEmpty() && frames > 0 && unstored.size() < credit) {
            send(batch());
        }
    }

    /** Sends again every batch unstored for {@link #RESEND_AFTER_NANOS}. */
    void resendOverdue(long nowNanos) {
        unstored.forEach((batch, frames) -> {
            long number = batch;
            if (nowNanos - sentNanos.get(number) > RESEND_AFTER_NANOS) {
                coordinator.tell(frames);
                sentNanos.put(number, nowNanos);
            }
        });
    }

    /** True while the stream may send more: no full batch is waiting for credit. */
    boolean hasRoom(int credit) {
        return full.isEmpty() && unstored.size() <= credit;
    }

    /** Tells the stream that the frame is taken and the worker has room for more. */
    void accept(WorkerProtocol.Count count) {
        count.replyTo().tell(new WorkerProtocol.Accepted(scanNumber, count.frameNumber(), storedTo));
    }

    void holdReply(WorkerProtocol.Count count) {
        heldReplies.add(count);
    }

    void releaseReplies() {
        heldReplies.forEach(this::accept);
        heldReplies.clear();
    }

    /** The writer stored a batch: returns its frame numbers (none when it was not this scan's). */
    long[] stored(long batch) {
        WriterProtocol.Frames frames = unstored.remove(batch);
        if (frames == null) {
            return new long[0];
        }
        framesStored += frames.frameNumbers().length;
        eventsStored += frames.events().length;
        metrics.batchStored(frames.frameNumbers().length, frames.events().length,
                System.nanoTime() - sentNanos.remove(batch));
        return frames.frameNumbers();
    }

    /** True when nothing is held or unacknowledged. */
    boolean allStored() {
        return frames == 0 && full.isEmpty() && unstored.isEmpty();
    }

    void flushWaiting(ActorRef<WorkerProtocol.Flushed> replyTo) {
        flushes.add(replyTo);
    }

    void replyToFlushes(int partition) {
        flushes.forEach(f -> f.tell(new WorkerProtocol.Flushed(scanNumber, partition, framesStored)));
        flushes.clear();
    }

    boolean changedSinceReport() {
        return counted != reportedCounted || framesStored != reportedStored;
    }

    CoordinatorProtocol.PartitionProgress progress(int partition, String node) {
        reportedCounted = counted;
        reportedStored = framesStored;
        return new CoordinatorProtocol.PartitionProgress(scanNumber, partition, node, counted, incomplete,
                highestFrame, eventsSent, eventsStored);
    }

    /** The batch being filled, as a message; the builder starts empty again. */
    private WriterProtocol.Frames batch() {
        WriterProtocol.Frames batch = new WriterProtocol.Frames(scanNumber, nextBatch++,
                Arrays.copyOf(frameNumbers, frames), Arrays.copyOf(positions, frames), Arrays.copyOf(complete, frames),
                Arrays.copyOf(counts, frames), Arrays.copyOf(events, eventCount), storedTo);
        frames = 0;
        eventCount = 0;
        return batch;
    }

    private void send(WriterProtocol.Frames batch) {
        coordinator.tell(batch);
        unstored.put(batch.batch(), batch);
        sentNanos.put(batch.batch(), System.nanoTime());
        eventsSent += batch.events().length;
    }
}

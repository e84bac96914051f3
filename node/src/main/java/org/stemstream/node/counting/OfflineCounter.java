package org.stemstream.node.counting;

import static org.stemstream.protocol.FrameGeometry.FRAME_BYTES;
import static org.stemstream.protocol.FrameGeometry.FRAME_HEIGHT;
import static org.stemstream.protocol.FrameGeometry.FRAME_WIDTH;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.stemstream.hdf5.ScanShape;
import org.stemstream.hdf5.SparseCountsWriter;
import org.stemstream.kernel.CountingPlan;
import org.stemstream.kernel.ElectronCounter;
import org.stemstream.kernel.ThresholdCalculator;
import org.stemstream.kernel.ThresholdStatistics;
import org.stemstream.kernel.Thresholds;
import org.stemstream.protocol.RawScan;

/**
 * The file-based workflow: counts a scan stored as raw files into stempy's sparse HDF5 file.
 *
 * <p>Each worker thread reads frames one at a time into its own buffer, counts them and hands the events to the
 * writer, so memory stays at a few frames per thread whatever the scan size.
 */
public final class OfflineCounter {
    private OfflineCounter() {
    }

    public static CountSummary count(RawScan scan, CountingSetup setup, Path output, int threads,
                                     ProgressLine progress) throws IOException {
        return count(scan, setup, output, threads, progress, FrameListener.NONE);
    }

    public static CountSummary count(RawScan scan, CountingSetup setup, Path output, int threads,
                                     ProgressLine progress, FrameListener listener) throws IOException {
        long start = System.nanoTime();
        ScanShape shape = new ScanShape(scan.scanWidth(), scan.scanHeight(), scan.framesPerPosition(),
                FRAME_WIDTH, FRAME_HEIGHT);
        try (SparseCountsWriter writer = SparseCountsWriter.create(output, shape)) { // refuses an existing file first
            ThresholdStatistics statistics = null;
            Thresholds thresholds;
            if (setup.thresholds() instanceof ThresholdPolicy.Given given) {
                thresholds = given.thresholds();
            } else {
                ThresholdPolicy.Computed computed = (ThresholdPolicy.Computed) setup.thresholds();
                statistics = computeThresholds(scan, setup, computed);
                thresholds = statistics.thresholds();
            }
            CountingPlan plan = CountingPlan.of(setup.correction(), thresholds);
            long events = countAll(scan, plan, writer, threads, progress, listener);
            long[] incomplete = IntStream.range(0, scan.frameSlots())
                    .filter(s -> !scan.isMissing(s) && !scan.isComplete(s)).asLongStream().toArray();
            long[] missing = IntStream.range(0, scan.frameSlots()).filter(scan::isMissing).asLongStream().toArray();
            CountSummary summary = new CountSummary(scan.scanNumber(), scan.frameSlots(),
                    scan.frameSlots() - missing.length, incomplete, missing, events, thresholds, statistics,
                    (System.nanoTime() - start) / 1e9, output);
            CountedScanMetadata.write(writer, setup, summary);
            writer.commit();
            return summary;
        }
    }

    /** stempy's thresholds from the first K complete frames by frame number. */
    static ThresholdStatistics computeThresholds(RawScan scan, CountingSetup setup, ThresholdPolicy.Computed policy)
            throws IOException {
        List<Integer> complete = new ArrayList<>();
        for (int slot = 0; slot < scan.frameSlots(); slot++) {
            if (scan.isComplete(slot)) {
                complete.add(slot);
            }
        }
        if (complete.isEmpty()) {
            throw new IllegalArgumentException("the scan has no complete frame to compute thresholds from;"
                    + " give --background-threshold and --xray-threshold");
        }
        complete.sort(Comparator.comparingLong(scan::frameNumber));
        List<ByteBuffer> samples = new ArrayList<>();
        for (int slot : complete.subList(0, Math.min(policy.frames(), complete.size()))) {
            ByteBuffer frame = ByteBuffer.allocate(FRAME_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            scan.readFrame(slot, frame);
            samples.add(frame);
        }
        return ThresholdCalculator.compute(samples, setup.correction(), policy.samples(), policy.backgroundSigma(),
                policy.xraySigma());
    }

    private static long countAll(RawScan scan, CountingPlan plan, SparseCountsWriter writer, int threads,
                                 ProgressLine progress, FrameListener listener) throws IOException {
        AtomicInteger next = new AtomicInteger();
        AtomicLong events = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> new Thread(r, "counting"));
        try {
            List<Future<Void>> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                RawScan reader = t == 0 ? scan : scan.copy();
                workers.add(pool.submit(() -> {
                    try (RawScan closeLater = reader == scan ? null : reader) {
                        countSlots(reader, plan, writer, next, events, progress, listener);
                    }
                    return null;
                }));
            }
            for (Future<Void> worker : workers) {
                worker.get();
            }
            return events.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("counting interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IllegalStateException("counting failed", e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    private static void countSlots(RawScan reader, CountingPlan plan, SparseCountsWriter writer, AtomicInteger next,
                                   AtomicLong events, ProgressLine progress, FrameListener listener)
            throws IOException {
        ElectronCounter counter = new ElectronCounter(plan);
        ByteBuffer frame = ByteBuffer.allocate(FRAME_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        int[] found = new int[ElectronCounter.MAX_EVENTS];
        for (int slot = next.getAndIncrement(); slot < reader.frameSlots(); slot = next.getAndIncrement()) {
            if (reader.isMissing(slot)) {
                continue;
            }
            reader.readFrame(slot, frame);
            int n = counter.count(frame, found);
            synchronized (writer) {
                writer.writeFrame(slot, found, n);
            }
            listener.counted(slot, reader.frameNumber(slot), found, n);
            events.addAndGet(n);
            progress.add(1);
        }
    }
}

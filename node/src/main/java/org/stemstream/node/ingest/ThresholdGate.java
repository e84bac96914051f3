package org.stemstream.node.ingest;

import static org.stemstream.protocol.FrameGeometry.FRAME_BYTES;
import static org.stemstream.protocol.FrameGeometry.SECTOR_BYTES;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FanInShape2;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.stemstream.kernel.CountingPlan;
import org.stemstream.kernel.ThresholdCalculator;
import org.stemstream.protocol.SampleStatistics;

/**
 * Gives each frame its counting plan, holding the frames of a scan whose thresholds are not decided yet in a bounded
 * buffer while the cluster decides them: this node reports the statistics of the K lowest-numbered complete frames it
 * holds once it has K (or once the buffer fills or the scan's input ends), the coordinator merges every node's
 * samples and picks the K lowest frame numbers (stempy's method, see {@link ThresholdCalculator}), and the decision
 * arrives on the control inlet, which this stage always takes. When the buffer is full it stops pulling frames.
 *
 * <p>Samples go again when a lower frame arrives after they went (a lost node's frames, sent again by the producers)
 * and when a coordinator that took over asks ({@link ScanControl.SendSamples}).
 *
 * <p>Frames of a cancelled or failed scan go on without a plan: the counting step gives their buffers back.
 */
public final class ThresholdGate extends GraphStage<FanInShape2<Assembled, ScanControl, Assembled>> {
    private static final Duration TICK = Duration.ofMillis(50);
    /** How long a scan whose input ended may wait for thresholds before its held frames are let go uncounted. */
    private static final long ABANDON_NANOS = Duration.ofSeconds(5).toNanos();

    private final int maxHeldFrames;
    private final ActorRef<IngestReport> reports;
    private final FanInShape2<Assembled, ScanControl, Assembled> shape = new FanInShape2<>("gate");

    public ThresholdGate(int maxHeldFrames, ActorRef<IngestReport> reports) {
        this.maxHeldFrames = maxHeldFrames;
        this.reports = reports;
    }

    @Override
    public FanInShape2<Assembled, ScanControl, Assembled> shape() {
        return shape;
    }

    @Override
    public GraphStageLogic createLogic(Attributes attributes) {
        return new Logic();
    }

    /**
     * The frames held for one scan, the samples of the K lowest-numbered complete ones (each computed once, as it
     * enters), and whether its samples went out.
     */
    private static final class Held {
        final List<Assembled> elements = new ArrayList<>();
        final List<SampleStatistics> lowest = new ArrayList<>();
        long endedNanos;
        boolean samplesSent;
        /** The lowest frames changed since the samples went, or they were asked for again. */
        boolean samplesStale;

        boolean amongLowest(long frameNumber, int k) {
            return lowest.size() < k || frameNumber < lowest.get(lowest.size() - 1).frames()[0];
        }

        /** Keeps a frame's sample among the K lowest (the caller checked {@link #amongLowest}). */
        void keep(SampleStatistics sample, int k) {
            int at = 0;
            while (at < lowest.size() && lowest.get(at).frames()[0] < sample.frames()[0]) {
                at++;
            }
            lowest.add(at, sample);
            if (lowest.size() > k) {
                lowest.remove(k);
            }
            samplesStale = samplesSent;
        }
    }

    private final class Logic extends TimerGraphStageLogic {
        private final Inlet<Assembled> in = shape.in0();
        private final Inlet<ScanControl> control = shape.in1();
        private final Outlet<Assembled> out = shape.out();
        private final Map<Long, CountingPlan> plans = new HashMap<>();
        /** Scans whose frames go on uncounted: cancelled, or failed here. */
        private final Set<Long> stopped = new HashSet<>();
        private final Map<Long, Held> waiting = new LinkedHashMap<>();
        private int heldFrames;
        /** A whole frame's pixels, reused for each sample. */
        private ByteBuffer whole;

        Logic() {
            super(shape);
            setHandler(in, new AbstractInHandler() {
                @Override
                public void onPush() {
                    take(grab(in));
                    progress();
                    pullIfRoom();
                }
            });
            setHandler(control, new AbstractInHandler() {
                @Override
                public void onPush() {
                    ScanControl command = grab(control);
                    if (command instanceof ScanControl.Decide decide) {
                        plans.put(decide.scanNumber(), decide.plan());
                    } else if (command instanceof ScanControl.EndInput end && end.cancel()) {
                        stopped.add(end.scanNumber());
                    } else if (command instanceof ScanControl.SendSamples again) {
                        Held held = waiting.get(again.scanNumber());
                        if (held != null && held.samplesSent) {
                            held.samplesStale = true;
                        }
                    }
                    pull(control);
                    progress();
                    pullIfRoom();
                }

                @Override
                public void onUpstreamFinish() {
                    // the host's control ends only when the node stops
                }
            });
            setHandler(out, new AbstractOutHandler() {
                @Override
                public void onPull() {
                    pullIfRoom();
                }
            });
        }

        @Override
        public void preStart() {
            pull(control);
            scheduleWithFixedDelay("decided", TICK, TICK);
        }

        @Override
        public void onTimer(Object key) {
            progress();
            pullIfRoom();
        }

        private void take(Assembled next) {
            long scan = next.scan().scanNumber();
            if (decided(next.scan()) && !waiting.containsKey(scan)) {
                emit(out, withPlan(next));
                return;
            }
            Held held = waiting.computeIfAbsent(scan, s -> new Held());
            held.elements.add(next);
            if (next instanceof Assembled.Frame frame) {
                heldFrames++;
                int k = next.scan().request().thresholdFrames();
                if (frame.complete() && held.amongLowest(frame.frameNumber(), k)) {
                    SampleStatistics sample = sample(frame);
                    if (sample != null) {
                        held.keep(sample, k);
                    }
                }
            } else {
                held.endedNanos = System.nanoTime();
            }
        }

        private void pullIfRoom() {
            if (isAvailable(out) && heldFrames < maxHeldFrames && !hasBeenPulled(in)) {
                pull(in);
            }
        }

        /** Sends samples that are ready, and lets go the frames of scans whose thresholds are decided. */
        private void progress() {
            for (Map.Entry<Long, Held> entry : List.copyOf(waiting.entrySet())) {
                long scan = entry.getKey();
                Held held = entry.getValue();
                StreamedScan streamed = held.elements.get(0).scan();
                boolean ready = held.lowest.size() >= streamed.request().thresholdFrames() || held.endedNanos > 0
                        || heldFrames >= maxHeldFrames;
                if ((!held.samplesSent && ready) || held.samplesStale) {
                    held.samplesSent = true;
                    held.samplesStale = false;
                    reports.tell(new IngestReport.Samples(scan, List.copyOf(held.lowest)));
                }
                if (held.endedNanos > 0 && System.nanoTime() - held.endedNanos > ABANDON_NANOS
                        && !decided(streamed)) {
                    // the input ended and no thresholds came (the cluster is stopping): its frames cannot be counted
                    fail(scan, "no thresholds arrived before the scan's input ended on this node");
                }
                if (decided(streamed)) {
                    waiting.remove(scan);
                    List<Assembled> going = new ArrayList<>(held.elements.size());
                    for (Assembled element : held.elements) {
                        going.add(withPlan(element));
                        if (element instanceof Assembled.Frame) {
                            heldFrames--;
                        }
                    }
                    emitMultiple(out, going.iterator());
                }
            }
        }

        private boolean decided(StreamedScan scan) {
            return scan.givenPlan() != null || plans.containsKey(scan.scanNumber())
                    || stopped.contains(scan.scanNumber());
        }

        /** The frame with its plan (none when its scan stopped); end marks go as they are. */
        private Assembled withPlan(Assembled element) {
            if (!(element instanceof Assembled.Frame frame)) {
                return element;
            }
            long scan = frame.scan().scanNumber();
            if (stopped.contains(scan)) {
                return frame;
            }
            return frame.counted(frame.scan().givenPlan() != null ? frame.scan().givenPlan() : plans.get(scan));
        }

        private void fail(long scan, String reason) {
            if (stopped.add(scan)) {
                reports.tell(new IngestReport.Failed(scan, reason));
            }
        }

        /** The frame's sample for thresholds; null (the scan failed here) when it cannot be computed. */
        private SampleStatistics sample(Assembled.Frame frame) {
            if (whole == null) {
                whole = ByteBuffer.allocate(FRAME_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            }
            for (int s = 0; s < frame.sectors().length; s++) {
                whole.put(s * SECTOR_BYTES, frame.sectors()[s], 0, SECTOR_BYTES);
            }
            try {
                return ThresholdCalculator.sample(frame.frameNumber(), whole, frame.scan().correction());
            } catch (IllegalArgumentException e) {
                fail(frame.scan().scanNumber(), "thresholds could not be computed: " + e.getMessage());
                return null;
            }
        }
    }
}

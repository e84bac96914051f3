package org.stemstream.node.ingest;

import static org.stemstream.protocol.FrameGeometry.FRAME_BYTES;
import static org.stemstream.protocol.FrameGeometry.SECTOR_BYTES;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.stemstream.kernel.ThresholdCalculator;
import org.stemstream.node.nodehost.ScanSession;
import org.stemstream.protocol.cluster.SampleStatistics;

/**
 * Holds the frames of a scan whose thresholds are not decided yet, in a bounded buffer, while the cluster decides
 * them: this node reports the statistics of its first K complete frames (or of the complete frames it has when the
 * buffer fills or the scan's input ends), the coordinator merges every node's samples and picks the K lowest frame
 * numbers (stempy's method, see {@link ThresholdCalculator}), and once the thresholds arrive the held frames go on.
 * Frames of scans with thresholds pass straight through. When the buffer is full this stage stops pulling.
 */
public final class ThresholdGate extends GraphStage<FlowShape<Assembled, Assembled>> {
    private static final Duration TICK = Duration.ofMillis(50);
    /** How long a scan that stopped taking blocks may wait for thresholds before its held frames are let go. */
    private static final long ABANDON_NANOS = Duration.ofSeconds(5).toNanos();

    private final int maxHeldFrames;
    private final Inlet<Assembled> in = Inlet.create("gate.in");
    private final Outlet<Assembled> out = Outlet.create("gate.out");
    private final FlowShape<Assembled, Assembled> shape = FlowShape.of(in, out);

    public ThresholdGate(int maxHeldFrames) {
        this.maxHeldFrames = maxHeldFrames;
    }

    @Override
    public FlowShape<Assembled, Assembled> shape() {
        return shape;
    }

    @Override
    public GraphStageLogic createLogic(Attributes attributes) {
        return new Logic();
    }

    /** The frames held for one scan, which of them are complete, and whether its samples went out. */
    private static final class Held {
        final List<Assembled> elements = new ArrayList<>();
        final List<Assembled.Frame> complete = new ArrayList<>();
        boolean ended;
        boolean samplesSent;
        long stoppedNanos;
    }

    private final class Logic extends TimerGraphStageLogic {
        private final Map<ScanSession, Held> waiting = new LinkedHashMap<>();
        private int heldFrames;

        Logic() {
            super(shape);
            setHandler(in, new AbstractInHandler() {
                @Override
                public void onPush() {
                    Assembled next = grab(in);
                    ScanSession session = next.session();
                    if (decided(session) && !waiting.containsKey(session)) {
                        emit(out, next);
                        return;
                    }
                    Held held = waiting.computeIfAbsent(session, s -> new Held());
                    held.elements.add(next);
                    if (next instanceof Assembled.Frame frame) {
                        heldFrames++;
                        if (frame.complete() && held.complete.size() < session.thresholdFrames()) {
                            held.complete.add(frame);
                        }
                    } else {
                        held.ended = true;
                    }
                    progress();
                    pullIfRoom();
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
            scheduleWithFixedDelay("decided", TICK, TICK);
        }

        @Override
        public void onTimer(Object key) {
            progress();
            pullIfRoom();
        }

        private void pullIfRoom() {
            if (isAvailable(out) && heldFrames < maxHeldFrames && !hasBeenPulled(in)) {
                pull(in);
            }
        }

        /** Sends samples that are ready, and lets go the frames of scans whose thresholds are decided. */
        private void progress() {
            for (Map.Entry<ScanSession, Held> entry : List.copyOf(waiting.entrySet())) {
                ScanSession session = entry.getKey();
                Held held = entry.getValue();
                if (!held.samplesSent && (held.complete.size() >= session.thresholdFrames() || held.ended
                        || heldFrames >= maxHeldFrames || !session.accepting())) {
                    held.samplesSent = true;
                    session.reportSamples(samples(held.complete));
                }
                if (!session.accepting() && held.stoppedNanos == 0) {
                    held.stoppedNanos = System.nanoTime();
                }
                if (held.stoppedNanos > 0 && System.nanoTime() - held.stoppedNanos > ABANDON_NANOS
                        && !decided(session)) {
                    // the scan stopped and no thresholds came (the cluster is stopping): its frames cannot be counted
                    session.fail("no thresholds arrived before the scan stopped on this node");
                }
                if (decided(session)) {
                    waiting.remove(session);
                    heldFrames -= (int) held.elements.stream().filter(e -> e instanceof Assembled.Frame).count();
                    emitMultiple(out, held.elements.iterator());
                }
            }
        }

        private boolean decided(ScanSession session) {
            return session.plan() != null || session.failure() != null || session.cancelled();
        }

        private List<SampleStatistics> samples(List<Assembled.Frame> frames) {
            List<SampleStatistics> out = new ArrayList<>();
            ByteBuffer whole = ByteBuffer.allocate(FRAME_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (Assembled.Frame frame : frames) {
                for (int s = 0; s < frame.sectors().length; s++) {
                    whole.put(s * SECTOR_BYTES, frame.sectors()[s], 0, SECTOR_BYTES);
                }
                try {
                    out.add(ThresholdCalculator.sample(frame.frameNumber(), whole, frame.session().correction()));
                } catch (IllegalArgumentException e) {
                    frame.session().fail("thresholds could not be computed: " + e.getMessage());
                }
            }
            return out;
        }
    }
}

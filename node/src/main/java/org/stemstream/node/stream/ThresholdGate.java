package org.stemstream.node.stream;

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
import org.stemstream.node.counting.ThresholdPolicy;
import org.stemstream.node.scan.ScanSession;

/**
 * Holds the frames of a scan whose thresholds are still to be computed, in a bounded buffer, until its first K
 * complete frames have arrived; computes the thresholds from them (stempy's method, see {@link ThresholdCalculator})
 * and lets the held frames go on. Frames of scans with known thresholds pass straight through.
 *
 * <p>When the buffer fills without K complete frames, or the scan's input ends or times out first, the thresholds come
 * from the complete frames there are; with none, the scan fails with the reason (its held frames are released).
 */
public final class ThresholdGate extends GraphStage<FlowShape<Assembled, Assembled>> {
    private static final Duration TICK = Duration.ofMillis(100);

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

    /** The frames held for one scan, and which of them are complete. */
    private static final class Held {
        final List<Assembled> frames = new ArrayList<>();
        final List<Assembled.Frame> complete = new ArrayList<>();
    }

    private final class Logic extends TimerGraphStageLogic {
        private final Map<ScanSession, Held> calibrating = new LinkedHashMap<>();
        private int heldTotal;

        Logic() {
            super(shape);
            setHandler(in, new AbstractInHandler() {
                @Override
                public void onPush() {
                    Assembled next = grab(in);
                    ScanSession session = next.session();
                    if (session.plan() != null || session.failure() != null) {
                        emit(out, next);
                        return;
                    }
                    Held held = calibrating.computeIfAbsent(session, s -> new Held());
                    held.frames.add(next);
                    if (next instanceof Assembled.Frame frame) {
                        heldTotal++;
                        if (frame.complete()) {
                            held.complete.add(frame);
                        }
                        ThresholdPolicy.Computed policy = session.calibration();
                        if (held.complete.size() >= policy.frames() || heldTotal >= maxHeldFrames) {
                            release(session);
                        }
                    } else {
                        release(session); // the scan's input ended
                    }
                    if (isAvailable(out) && !hasBeenPulled(in)) {
                        pull(in);
                    }
                }
            });
            setHandler(out, new AbstractOutHandler() {
                @Override
                public void onPull() {
                    if (!hasBeenPulled(in)) {
                        pull(in);
                    }
                }
            });
        }

        @Override
        public void preStart() {
            scheduleWithFixedDelay("stalled", TICK, TICK);
        }

        /** A scan that stopped taking blocks (timed out, cancelled) gets thresholds from what it has. */
        @Override
        public void onTimer(Object key) {
            for (ScanSession session : List.copyOf(calibrating.keySet())) {
                if (!session.accepting()) {
                    release(session);
                }
            }
        }

        private void release(ScanSession session) {
            Held held = calibrating.remove(session);
            heldTotal -= (int) held.frames.stream().filter(f -> f instanceof Assembled.Frame).count();
            calibrate(session, held.complete);
            emitMultiple(out, held.frames.iterator());
        }

        private void calibrate(ScanSession session, List<Assembled.Frame> complete) {
            if (complete.isEmpty()) {
                session.fail("no complete frame arrived to compute thresholds from; give --background-threshold"
                        + " and --xray-threshold, or check the producers");
                return;
            }
            ThresholdPolicy.Computed policy = session.calibration();
            List<ByteBuffer> samples = new ArrayList<>();
            for (Assembled.Frame frame : complete.subList(0, Math.min(policy.frames(), complete.size()))) {
                ByteBuffer whole = ByteBuffer.allocate(FRAME_BYTES).order(ByteOrder.LITTLE_ENDIAN);
                for (int s = 0; s < frame.sectors().length; s++) {
                    whole.put(s * SECTOR_BYTES, frame.sectors()[s], 0, SECTOR_BYTES);
                }
                samples.add(whole);
            }
            try {
                session.calibrated(ThresholdCalculator.compute(samples, session.spec().counting().correction(),
                        policy.samples(), policy.backgroundSigma(), policy.xraySigma()));
            } catch (IllegalArgumentException e) {
                session.fail("thresholds could not be computed: " + e.getMessage());
            }
        }
    }
}

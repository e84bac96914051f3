package org.stemstream.node.ingest;

import static org.stemstream.protocol.FrameGeometry.SECTORS;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.agrona.collections.Long2ObjectHashMap;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.UniformFanInShape;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stemstream.node.ingest.RateLimitedLog;
import org.stemstream.node.ingest.SectorBuffers;
import org.stemstream.node.ingest.SectorMessage;
import org.stemstream.node.ingest.SectorStats;
import org.stemstream.node.nodehost.ScanDirectory;
import org.stemstream.node.nodehost.ScanSession;

/**
 * Joins the four sectors of each frame, by scan and frame number, from four inlets (one per sector).
 *
 * <p>A frame is handed on when its fourth sector arrives, when it has waited longer than the frame timeout (then
 * incomplete, its missing sectors counted as zeros), or when every producer of its scan has ended. At most
 * {@code maxHeldFrames} frames are open or waiting for downstream: a block that would open one more is held and its
 * inlet not pulled again until a frame leaves, so a slow downstream stops the sockets from being read. A sector
 * stream that lags never deadlocks this: its next block belongs to a frame that is already open.
 *
 * <p>Duplicate blocks (a sector a frame already has) and late ones (for a frame already handed on) are counted on the
 * sector and the scan, and dropped.
 */
public final class FrameAssembler extends GraphStage<UniformFanInShape<SectorMessage, Assembled>> {
    private static final Logger LOG = LoggerFactory.getLogger(FrameAssembler.class);
    private static final Duration TICK = Duration.ofMillis(50);

    private final ScanDirectory scans;
    private final SectorBuffers buffers;
    private final SectorStats[] stats;
    private final int maxHeldFrames;
    private final long frameTimeoutNanos;
    private final List<Inlet<SectorMessage>> inlets = new ArrayList<>();
    private final Outlet<Assembled> out = Outlet.create("assembled");
    private final UniformFanInShape<SectorMessage, Assembled> shape;

    public FrameAssembler(ScanDirectory scans, SectorBuffers buffers, SectorStats[] stats, int maxHeldFrames,
                          Duration frameTimeout) {
        this.scans = scans;
        this.buffers = buffers;
        this.stats = stats;
        this.maxHeldFrames = maxHeldFrames;
        this.frameTimeoutNanos = frameTimeout.toNanos();
        for (int s = 0; s < SECTORS; s++) {
            inlets.add(Inlet.create("sector-" + s));
        }
        this.shape = UniformFanInShape.create(out, inlets);
    }

    @Override
    public UniformFanInShape<SectorMessage, Assembled> shape() {
        return shape;
    }

    @Override
    public GraphStageLogic createLogic(Attributes attributes) {
        return new Logic();
    }

    /** A frame still waiting for sectors. */
    private static final class Open {
        final ScanSession session;
        final long frameNumber;
        final int position;
        final byte[][] sectors = new byte[SECTORS][];
        final long openedNanos = System.nanoTime();
        int mask;
        boolean handedOn;

        Open(ScanSession session, long frameNumber, int position) {
            this.session = session;
            this.frameNumber = frameNumber;
            this.position = position;
        }
    }

    private final class Logic extends TimerGraphStageLogic {
        private final RateLimitedLog rejections = new RateLimitedLog(LOG, 5_000);
        private final Map<ScanSession, Long2ObjectHashMap<Open>> open = new HashMap<>();
        private final ArrayDeque<Open> byAge = new ArrayDeque<>();
        private final ArrayDeque<Assembled> ready = new ArrayDeque<>();
        private final SectorMessage[] stashed = new SectorMessage[SECTORS];
        /** Frames open or ready, not yet pushed. */
        private int held;

        Logic() {
            super(shape);
            for (int s = 0; s < SECTORS; s++) {
                Inlet<SectorMessage> in = inlets.get(s);
                int sector = s;
                setHandler(in, new AbstractInHandler() {
                    @Override
                    public void onPush() {
                        SectorMessage message = grab(in);
                        if (accept(message)) {
                            pull(in);
                        } else {
                            stashed[sector] = message;
                        }
                        pushReady();
                    }

                    @Override
                    public void onUpstreamFinish() {
                        // a sector's source ends only when the node stops
                    }
                });
            }
            setHandler(out, new AbstractOutHandler() {
                @Override
                public void onPull() {
                    pushReady();
                }
            });
        }

        @Override
        public void preStart() {
            inlets.forEach(this::pull);
            scheduleWithFixedDelay("expire", TICK, TICK);
        }

        @Override
        public void onTimer(Object key) {
            for (ScanSession s = scans.nextEndRequest(); s != null; s = scans.nextEndRequest()) {
                endInput(s);
            }
            long now = System.nanoTime();
            for (Iterator<Open> it = byAge.iterator(); it.hasNext(); ) {
                Open f = it.next();
                if (f.handedOn) {
                    it.remove();
                } else if (f.session.cancelled()) {
                    drop(f);
                    it.remove();
                } else if (now - f.openedNanos > frameTimeoutNanos || !f.session.accepting()) {
                    handOn(f);
                    it.remove();
                }
            }
            pushReady();
        }

        /** Takes a message in; false when it opens a frame and no room is left (the caller holds it). */
        private boolean accept(SectorMessage message) {
            if (message instanceof SectorMessage.End end) {
                ScanSession session = scans.accepting(end.end().scanNumber());
                if (session == null) {
                    reject(end.sector(), "unknown scan", "end of scan " + end.end().scanNumber()
                            + ", which is not being counted here");
                } else if (session.endArrived(end.end())) {
                    endInput(session);
                }
                return true;
            }
            SectorMessage.Block block = (SectorMessage.Block) message;
            int sector = block.sector();
            long frameNumber = block.header().frameNumber();
            ScanSession session = scans.accepting(block.header().scanNumber());
            if (session == null) {
                return rejectBlock(block, "unknown scan", "scan " + block.header().scanNumber()
                        + " is not being counted here");
            }
            if (session.inputHasEnded()) {
                session.late();
                return rejectBlock(block, "late", "scan " + session.scanNumber() + " has already ended its input");
            }
            Long2ObjectHashMap<Open> frames = open.computeIfAbsent(session, s -> new Long2ObjectHashMap<>());
            Open frame = frames.get(frameNumber);
            if (frame == null) {
                if (session.alreadyEmitted(frameNumber)) {
                    session.late();
                    return rejectBlock(block, "late", "frame " + frameNumber + " of scan " + session.scanNumber()
                            + " was already counted");
                }
                if (held >= maxHeldFrames) {
                    return false;
                }
                frame = new Open(session, frameNumber, block.header().position());
                frames.put(frameNumber, frame);
                byAge.add(frame);
                held++;
            } else if ((frame.mask & 1 << sector) != 0) {
                session.duplicate();
                return rejectBlock(block, "duplicate", "frame " + frameNumber + " of scan " + session.scanNumber()
                        + " already has this sector");
            } else if (frame.position != block.header().position()) {
                return rejectBlock(block, "impossible header", "frame " + frameNumber + " is at position "
                        + block.header().position() + " here but at " + frame.position + " in another sector");
            }
            frame.sectors[sector] = block.payload();
            frame.mask |= 1 << sector;
            session.blockArrived(sector, frameNumber);
            if (frame.mask == (1 << SECTORS) - 1) {
                handOn(frame);
            }
            return true;
        }

        private void handOn(Open f) {
            f.handedOn = true;
            forget(f);
            f.session.firstEmission(f.frameNumber);
            ready.add(new Assembled.Frame(f.session, f.frameNumber, f.position, f.sectors, f.mask));
        }

        /**
         * The scan's input is over (every producer ended, or the coordinator ended it): its open frames will get no
         * more sectors, so they go on now, followed by the end mark.
         */
        private void endInput(ScanSession session) {
            if (!session.markInputEnded()) {
                return;
            }
            Long2ObjectHashMap<Open> frames = open.get(session);
            if (frames != null) {
                List<Open> remaining = new ArrayList<>(frames.values());
                remaining.sort((a, b) -> Long.compare(a.frameNumber, b.frameNumber));
                for (Open f : remaining) {
                    if (session.cancelled()) {
                        drop(f);
                    } else {
                        handOn(f);
                    }
                }
                open.remove(session);
            }
            ready.add(new Assembled.InputEnded(session));
        }

        private void forget(Open f) {
            Long2ObjectHashMap<Open> frames = open.get(f.session);
            if (frames != null) {
                frames.remove(f.frameNumber);
                if (frames.isEmpty() && !f.session.accepting()) {
                    open.remove(f.session);
                }
            }
        }

        private void drop(Open f) {
            f.handedOn = true;
            forget(f);
            for (byte[] sector : f.sectors) {
                buffers.release(sector);
            }
            held--;
        }

        /** Pushes what is ready while downstream wants it, taking in held blocks as room appears. */
        private void pushReady() {
            boolean progress = true;
            while (progress) {
                while (isAvailable(out) && !ready.isEmpty()) {
                    Assembled next = ready.poll();
                    if (next instanceof Assembled.Frame) {
                        held--;
                    }
                    push(out, next);
                }
                progress = retryStashed();
            }
        }

        private boolean retryStashed() {
            boolean accepted = false;
            for (int s = 0; s < SECTORS; s++) {
                if (stashed[s] != null && accept(stashed[s])) {
                    stashed[s] = null;
                    pull(inlets.get(s));
                    accepted = true;
                }
            }
            return accepted;
        }

        private boolean rejectBlock(SectorMessage.Block block, String kind, String detail) {
            buffers.release(block.payload());
            reject(block.sector(), kind, detail);
            return true;
        }

        private void reject(int sector, String kind, String detail) {
            stats[sector].rejected(kind);
            rejections.warn(kind, "sector " + sector + " rejected " + kind + " message: " + detail);
        }
    }
}

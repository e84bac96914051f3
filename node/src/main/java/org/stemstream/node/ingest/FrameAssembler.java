package org.stemstream.node.ingest;

import static org.stemstream.protocol.FrameGeometry.SECTORS;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
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
import org.stemstream.protocol.BlockHeader;

/**
 * Joins the four sectors of each frame, by scan and frame number, from four sector inlets; a fifth inlet brings the
 * host's scan control (open, end of input, cancel), which this stage always takes. Each scan's input state lives
 * here, in a {@link ScanInput}, and its account goes to the host as messages.
 *
 * <p>A frame is handed on when its fourth sector arrives, when it has waited longer than the frame timeout (then
 * incomplete, its missing sectors counted as zeros), or when the scan's input ends. A frame past the timeout waits on
 * while a sector it lacks has not reached it here and that sector's producer is not silent for
 * {@value #PRODUCER_SILENCE_SECONDS} s: producers that wait for room in their retention stop at slightly different
 * frames, and the one behind sends its block once the cluster has stored what it keeps. At most {@code maxHeldFrames}
 * frames are open or waiting for downstream: a block that would open one more is held and its inlet not pulled again
 * until a frame leaves, so a slow downstream stops the sockets from being read. A sector stream that lags never
 * deadlocks this: its next block belongs to a frame that is already open, or it may open frames beyond the bound
 * (up to four times it) while an open frame waits for it.
 *
 * <p>Blocks of scans not open here, with positions or frame numbers outside the scan, duplicates (a sector a frame
 * already has) and late blocks (for a frame already handed on, or after the input ended) are counted on the sector
 * and dropped; while a scan is open, the others among them also count in its account.
 */
public final class FrameAssembler extends GraphStage<UniformFanInShape<IngestInput, Assembled>> {
    /** The inlet that carries scan control; inlets 0..3 carry sectors 0..3. */
    public static final int CONTROL = SECTORS;
    private static final Logger LOG = LoggerFactory.getLogger(FrameAssembler.class);
    private static final Duration TICK = Duration.ofMillis(50);
    private static final int REPORT_TICKS = 4;
    /** How far beyond the bound a sector that open frames wait for may open frames. */
    private static final int OVERDRAFT = 4;
    private static final long PRODUCER_SILENCE_SECONDS = 30;
    private static final long PRODUCER_SILENCE_NANOS = PRODUCER_SILENCE_SECONDS * 1_000_000_000L;

    private final SectorBuffers buffers;
    private final SectorStats[] stats;
    private final ActorRef<IngestReport> reports;
    private final int maxHeldFrames;
    private final long frameTimeoutNanos;
    private final List<Inlet<IngestInput>> inlets = new ArrayList<>();
    private final Outlet<Assembled> out = Outlet.create("assembled");
    private final UniformFanInShape<IngestInput, Assembled> shape;

    public FrameAssembler(SectorBuffers buffers, SectorStats[] stats, ActorRef<IngestReport> reports,
                          int maxHeldFrames, Duration frameTimeout) {
        this.buffers = buffers;
        this.stats = stats;
        this.reports = reports;
        this.maxHeldFrames = maxHeldFrames;
        this.frameTimeoutNanos = frameTimeout.toNanos();
        for (int s = 0; s < SECTORS; s++) {
            inlets.add(Inlet.create("sector-" + s));
        }
        inlets.add(Inlet.create("scan-control"));
        this.shape = UniformFanInShape.create(out, inlets);
    }

    @Override
    public UniformFanInShape<IngestInput, Assembled> shape() {
        return shape;
    }

    @Override
    public GraphStageLogic createLogic(Attributes attributes) {
        return new Logic();
    }

    private final class Logic extends TimerGraphStageLogic {
        private final RateLimitedLog rejections = new RateLimitedLog(LOG, 5_000);
        private final Map<Long, ScanInput> scans = new HashMap<>();
        private final ArrayDeque<ScanInput.OpenFrame> byAge = new ArrayDeque<>();
        private final ArrayDeque<Assembled> ready = new ArrayDeque<>();
        private final SectorMessage[] stashed = new SectorMessage[SECTORS];
        /** Frames open or ready, not yet pushed. */
        private int held;
        private int ticks;

        Logic() {
            super(shape);
            for (int s = 0; s < SECTORS; s++) {
                Inlet<IngestInput> in = inlets.get(s);
                int sector = s;
                setHandler(in, new AbstractInHandler() {
                    @Override
                    public void onPush() {
                        SectorMessage message = (SectorMessage) grab(in);
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
            Inlet<IngestInput> control = inlets.get(CONTROL);
            setHandler(control, new AbstractInHandler() {
                @Override
                public void onPush() {
                    control((ScanControl) grab(control));
                    pull(control);
                    pushReady();
                }

                @Override
                public void onUpstreamFinish() {
                    // the host's control ends only when the node stops
                }
            });
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
            scheduleWithFixedDelay("tick", TICK, TICK);
        }

        @Override
        public void onTimer(Object key) {
            long now = System.nanoTime();
            for (Iterator<ScanInput.OpenFrame> it = byAge.iterator(); it.hasNext(); ) {
                ScanInput.OpenFrame f = it.next();
                if (f.gone) {
                    it.remove();
                } else if (now - f.openedNanos > frameTimeoutNanos
                        && !f.input.awaitsSectorBehind(f, now, PRODUCER_SILENCE_NANOS)) {
                    if (f.input.handingOver()) {
                        drop(f);
                    } else {
                        handOn(f);
                    }
                    it.remove();
                }
            }
            if (++ticks % REPORT_TICKS == 0) {
                scans.values().stream().filter(s -> !s.ended()).forEach(s -> reports.tell(s.progress()));
            }
            pushReady();
        }

        private void control(ScanControl command) {
            if (command instanceof ScanControl.Open open) {
                if (scans.putIfAbsent(open.scanNumber(), new ScanInput(open.scan())) == null) {
                    reports.tell(new IngestReport.Opened(open.scanNumber()));
                }
            } else if (command instanceof ScanControl.HandOver handOver) {
                ScanInput input = scans.get(handOver.scanNumber());
                if (input != null) {
                    input.handOver();
                }
            } else if (command instanceof ScanControl.EndInput end) {
                ScanInput input = scans.get(end.scanNumber());
                if (input != null) {
                    endInput(input, end.cancel());
                }
            }
        }

        /** Takes a message in; false when it opens a frame and no room is left (the caller holds it). */
        private boolean accept(SectorMessage message) {
            if (message instanceof SectorMessage.End end) {
                ScanInput input = scans.get(end.end().scanNumber());
                if (input == null || input.ended()) {
                    reject(end.sector(), "unknown scan", "end of scan " + end.end().scanNumber()
                            + ", which is not being counted here");
                } else if (input.endArrived(end.end())) {
                    endInput(input, false);
                }
                return true;
            }
            SectorMessage.Block block = (SectorMessage.Block) message;
            BlockHeader header = block.header();
            ScanInput input = scans.get(header.scanNumber());
            if (input == null) {
                String why = "scan " + header.scanNumber() + " is not being counted here";
                scans.values().stream().filter(s -> !s.ended()).forEach(s -> s.rejected("unknown scan: " + why));
                return rejectBlock(block, "unknown scan", why);
            }
            String outside = header.checkWithin(input.scan.request().scanWidth(), input.scan.request().scanHeight());
            if (outside != null) {
                return rejectBlock(input, block, "impossible header", "frame " + header.frameNumber() + ": " + outside);
            }
            if (header.frameNumber() > input.lastFrameNumber()) {
                // a stray frame must never be counted, nor sampled for the scan's thresholds
                return rejectBlock(input, block, "frame outside scan", "frame " + header.frameNumber()
                        + " is beyond scan " + input.scanNumber() + "'s " + input.lastFrameNumber() + " frames");
            }
            if (input.ended()) {
                input.late();
                return rejectBlock(block, "late", "scan " + input.scanNumber() + " has already ended its input");
            }
            long frameNumber = header.frameNumber();
            ScanInput.OpenFrame frame = input.open.get(frameNumber);
            int sector = block.sector();
            if (frame == null) {
                if (input.wasHandedOn(frameNumber)) {
                    input.late();
                    return rejectBlock(block, "late", "frame " + frameNumber + " of scan " + input.scanNumber()
                            + " was already counted");
                }
                if (held >= maxHeldFrames && !mayOverdraw(sector)) {
                    return false;
                }
                frame = new ScanInput.OpenFrame(input, frameNumber, header.position());
                input.open.put(frameNumber, frame);
                byAge.add(frame);
                held++;
            } else if ((frame.mask & 1 << sector) != 0) {
                input.duplicate();
                return rejectBlock(block, "duplicate", "frame " + frameNumber + " of scan " + input.scanNumber()
                        + " already has this sector");
            } else if (frame.position != header.position()) {
                return rejectBlock(input, block, "impossible header", "frame " + frameNumber + " is at position "
                        + header.position() + " here but at " + frame.position + " in another sector");
            }
            frame.sectors[sector] = block.payload();
            frame.mask |= 1 << sector;
            input.blockArrived(sector, frameNumber);
            if (frame.mask == (1 << SECTORS) - 1) {
                handOn(frame);
            }
            return true;
        }

        /**
         * Whether a block may open a frame beyond the bound (up to {@value #OVERDRAFT} times it): when an open frame
         * waits for this very sector. After a node is lost, each producer sends its frames again from its own moment,
         * so a sector's socket may hold newer frames before the old ones the open frames wait for, and another's the
         * old ones first: holding either back would hold every open frame until it times out.
         */
        private boolean mayOverdraw(int sector) {
            if (held >= OVERDRAFT * maxHeldFrames) {
                return false;
            }
            for (ScanInput.OpenFrame f : byAge) {
                if (!f.gone && (f.mask & 1 << sector) == 0) {
                    return true;
                }
            }
            return false;
        }

        private void handOn(ScanInput.OpenFrame f) {
            f.gone = true;
            f.input.open.remove(f.frameNumber);
            f.input.handedOn(f.frameNumber);
            ready.add(new Assembled.Frame(f.input.scan, f.frameNumber, f.position, f.sectors, f.mask, null));
        }

        /**
         * The scan's input is over (every producer ended, or the host ended it): its open frames will get no more
         * sectors, so they go on now (or are dropped, when cancelled or handed over), followed by the end mark.
         */
        private void endInput(ScanInput input, boolean cancel) {
            if (!input.end(cancel)) {
                return;
            }
            List<ScanInput.OpenFrame> remaining = new ArrayList<>(input.open.values());
            remaining.sort((a, b) -> Long.compare(a.frameNumber, b.frameNumber));
            for (ScanInput.OpenFrame f : remaining) {
                if (cancel || input.handingOver()) {
                    drop(f);
                } else {
                    handOn(f);
                }
            }
            reports.tell(input.progress());
            ready.add(new Assembled.InputEnded(input.scan));
        }

        private void drop(ScanInput.OpenFrame f) {
            f.gone = true;
            f.input.open.remove(f.frameNumber);
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

        private boolean rejectBlock(ScanInput input, SectorMessage.Block block, String kind, String detail) {
            input.rejected(kind + ": " + detail);
            return rejectBlock(block, kind, detail);
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

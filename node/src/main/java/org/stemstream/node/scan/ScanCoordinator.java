package org.stemstream.node.scan;

import static org.stemstream.protocol.FrameGeometry.SECTORS;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractMatchingBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.stemstream.node.counting.CountSummary;
import org.stemstream.node.counting.FrameListener;
import org.stemstream.node.counting.ThresholdPolicy;

/**
 * Owns each scan's lifecycle on this node: Calibrating -> Streaming -> Finalizing -> Done | Failed | Cancelled.
 *
 * <p>It opens a scan (its file and its place in the {@link ScanDirectory}), answers status requests, and ends a scan
 * when all its producers have ended, when no data came for its idle timeout, when it fails or is cancelled. Ending
 * always goes through the stream: the coordinator asks for the scan's end mark and commits (or abandons) the file when
 * that mark has passed the counting step, so every frame of the scan is accounted for first.
 */
public final class ScanCoordinator extends AbstractMatchingBehavior<ScanCoordinator.Command> {
    private static final Duration TICK = Duration.ofMillis(200);

    public sealed interface Command {
    }

    /** Starts a scan; the listener sees every counted frame (null for none). */
    public record Start(ScanSpec spec, FrameListener listener, ActorRef<StartReply> replyTo) implements Command {
    }

    public sealed interface StartReply {
    }

    public record Started(long scanNumber) implements StartReply {
    }

    public record Refused(String reason) implements StartReply {
    }

    public record GetStatus(long scanNumber, ActorRef<StatusReply> replyTo) implements Command {
    }

    /** Replies once the scan has reached Done, Failed or Cancelled. */
    public record WhenFinished(long scanNumber, ActorRef<StatusReply> replyTo) implements Command {
    }

    public record Cancel(long scanNumber, ActorRef<StatusReply> replyTo) implements Command {
    }

    public record ListScans(ActorRef<List<ScanStatus>> replyTo) implements Command {
    }

    public sealed interface StatusReply {
    }

    public record Known(ScanStatus status) implements StatusReply {
    }

    public record Unknown(long scanNumber) implements StatusReply {
    }

    /** From the stream: the scan's end mark has passed the counting step. */
    public record InputEnded(ScanSession session) implements Command {
    }

    private record Tick() implements Command {
    }

    private record Closed(ScanSession session, CountSummary summary, Throwable error) implements Command {
    }

    /** A scan and what the coordinator knows of it. */
    private static final class Entry {
        final ScanSession session;
        ScanStatus.State state;
        String message = "";
        CountSummary summary;
        final List<ActorRef<StatusReply>> waiting = new ArrayList<>();

        Entry(ScanSession session) {
            this.session = session;
            this.state = session.plan() == null ? ScanStatus.State.CALIBRATING : ScanStatus.State.STREAMING;
        }
    }

    private final ScanDirectory directory;
    private final Executor blockingIo;
    private final int calibrationFrames;
    private final Map<Long, Entry> scans = new LinkedHashMap<>();

    public static Behavior<Command> create(ScanDirectory directory, Executor blockingIo, int calibrationFrames) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
            timers.startTimerWithFixedDelay(new Tick(), TICK);
            return new ScanCoordinator(context, directory, blockingIo, calibrationFrames);
        }));
    }

    private ScanCoordinator(ActorContext<Command> context, ScanDirectory directory, Executor blockingIo,
                            int calibrationFrames) {
        super(context);
        this.directory = directory;
        this.blockingIo = blockingIo;
        this.calibrationFrames = calibrationFrames;
    }

    @Override
    public Behavior<Command> onMessage(Command command) {
        if (command instanceof Start start) {
            start.replyTo().tell(start(start.spec(), start.listener()));
        } else if (command instanceof GetStatus get) {
            Entry e = scans.get(get.scanNumber());
            get.replyTo().tell(e == null ? new Unknown(get.scanNumber()) : new Known(status(e)));
        } else if (command instanceof WhenFinished when) {
            Entry e = scans.get(when.scanNumber());
            if (e == null) {
                when.replyTo().tell(new Unknown(when.scanNumber()));
            } else if (e.state.isFinal()) {
                when.replyTo().tell(new Known(status(e)));
            } else {
                e.waiting.add(when.replyTo());
            }
        } else if (command instanceof Cancel cancel) {
            Entry e = scans.get(cancel.scanNumber());
            if (e != null && !e.state.isFinal()) {
                e.session.cancel();
                end(e, "cancelled");
            }
            cancel.replyTo().tell(e == null ? new Unknown(cancel.scanNumber()) : new Known(status(e)));
        } else if (command instanceof ListScans list) {
            list.replyTo().tell(scans.values().stream().map(this::status).toList());
        } else if (command instanceof InputEnded ended) {
            inputEnded(ended.session());
        } else if (command instanceof Tick) {
            scans.values().forEach(this::check);
        } else if (command instanceof Closed closed) {
            closed(closed);
        }
        return this;
    }

    private StartReply start(ScanSpec spec, FrameListener listener) {
        Entry existing = scans.get(spec.scanNumber());
        if (existing != null) {
            return new Refused("scan " + spec.scanNumber() + " is already " + (existing.state.isFinal()
                    ? "finished (" + existing.state.name().toLowerCase() + ", output " + spec.output() + ")"
                    : "running") + "; scan numbers are used once");
        }
        if (Files.exists(spec.output())) {
            return new Refused("the output " + spec.output() + " already exists; counted data is never overwritten");
        }
        if (spec.counting().thresholds() instanceof ThresholdPolicy.Computed c && c.frames() > calibrationFrames) {
            return new Refused("--threshold-frames " + c.frames() + " is more than the " + calibrationFrames
                    + " frames a node holds while computing thresholds (stemstream.stream.calibration-frames)");
        }
        try {
            ScanSession session = new ScanSession(spec, listener == null ? FrameListener.NONE : listener);
            scans.put(spec.scanNumber(), new Entry(session));
            directory.open(session);
            getContext().getLog().info("scan {} started: {}x{} positions, {} frame(s) each, output {}",
                    spec.scanNumber(), spec.scanWidth(), spec.scanHeight(), spec.framesPerPosition(), spec.output());
            return new Started(spec.scanNumber());
        } catch (IOException | RuntimeException e) {
            return new Refused("cannot create the output " + spec.output() + ": " + e.getMessage());
        }
    }

    private void check(Entry e) {
        if (e.state == ScanStatus.State.CALIBRATING && e.session.plan() != null) {
            e.state = ScanStatus.State.STREAMING;
        }
        if (e.state.isFinal() || e.state == ScanStatus.State.FINALIZING) {
            return;
        }
        if (e.session.failure() != null) {
            end(e, e.session.failure());
        } else if (e.session.nanosSinceActivity() > e.session.spec().idleTimeout().toNanos()) {
            end(e, "ended after " + e.session.spec().idleTimeout().toSeconds() + " s without data"
                    + (endsMissing(e) ? " (not every producer sent its end of scan)" : ""));
        }
    }

    private static boolean endsMissing(Entry e) {
        for (int s = 0; s < SECTORS; s++) {
            if (e.session.sent(s) < 0) {
                return true;
            }
        }
        return false;
    }

    /** Asks the stream to end the scan's input; {@link InputEnded} follows once its last frame is counted. */
    private void end(Entry e, String why) {
        e.state = ScanStatus.State.FINALIZING;
        e.message = why;
        directory.end(e.session);
    }

    private void inputEnded(ScanSession session) {
        Entry e = scans.get(session.scanNumber());
        if (e == null || e.session != session || e.state.isFinal()) {
            return;
        }
        if (e.state != ScanStatus.State.FINALIZING) {
            e.state = ScanStatus.State.FINALIZING;
            e.message = "every producer sent its end of scan";
            directory.end(session);
        }
        if (session.cancelled() || session.failure() != null) {
            session.abandon();
            finish(e, session.cancelled() ? ScanStatus.State.CANCELLED : ScanStatus.State.FAILED, null);
            return;
        }
        getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> {
            try {
                return session.commit();
            } catch (IOException ex) {
                throw new java.io.UncheckedIOException(ex);
            }
        }, blockingIo), (summary, error) -> new Closed(session, summary, error));
    }

    private void closed(Closed closed) {
        Entry e = scans.get(closed.session().scanNumber());
        if (closed.error() != null) {
            closed.session().abandon();
            e.message = "writing the output failed: " + closed.error().getMessage();
            finish(e, ScanStatus.State.FAILED, null);
        } else {
            finish(e, ScanStatus.State.DONE, closed.summary());
        }
    }

    private void finish(Entry e, ScanStatus.State state, CountSummary summary) {
        e.state = state;
        e.summary = summary;
        ScanStatus status = status(e);
        getContext().getLog().info(status.line() + (e.message.isEmpty() ? "" : "; " + e.message));
        e.waiting.forEach(w -> w.tell(new Known(status)));
        e.waiting.clear();
    }

    private ScanStatus status(Entry e) {
        ScanSession s = e.session;
        ScanSpec spec = s.spec();
        List<ScanStatus.SectorAccount> sectors = new ArrayList<>();
        for (int i = 0; i < SECTORS; i++) {
            sectors.add(new ScanStatus.SectorAccount(i, s.blocks(i), s.sent(i)));
        }
        long counted = e.summary != null ? e.summary.framesCounted() : s.framesCounted();
        long incomplete = e.summary != null ? e.summary.framesIncomplete() : s.incompleteSoFar();
        long missing = e.summary != null ? e.summary.framesMissing()
                : e.state.isFinal() ? spec.frames() - counted : 0;
        double elapsed = s.secondsSinceFirstData();
        double rate = elapsed > 0 ? s.framesCounted() / elapsed : 0;
        double eta = rate > 0 ? (spec.frames() - counted) / rate : -1;
        String message = e.session.failure() != null && e.state == ScanStatus.State.FAILED ? e.session.failure()
                : e.message;
        return new ScanStatus(spec.scanNumber(), e.state, spec.frames(), counted, incomplete, missing, rate, eta,
                sectors, s.duplicates(), s.lateBlocks(), s.extraFrames(), spec.output(), message, e.summary);
    }
}

package org.stemstream.node.coordinator;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.agrona.collections.LongHashSet;
import org.apache.pekko.actor.typed.ActorRef;
import org.stemstream.node.counting.References;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractMatchingBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.stemstream.protocol.cluster.CoordinatorProtocol;
import org.stemstream.protocol.cluster.GatewayProtocol;
import org.stemstream.protocol.cluster.ReplicaProtocol;
import org.stemstream.protocol.cluster.ScanRequest;
import org.stemstream.protocol.cluster.WorkerProtocol;
import org.stemstream.protocol.cluster.WriterProtocol;

/**
 * A scan's writer, one per scan: receives the counted frames of every counting worker (sparse events only, in
 * acknowledged batches) and owns the scan's {@link ScanFile}. The scan's lifecycle spawns it as its child on the
 * blocking dispatcher (it writes files), so a counting node that dies never takes a scan's file with it.
 *
 * <p>So that the writer's own node may die too, every batch it stores goes on to the scan's replica on another node,
 * which tells the worker the batch is stored; until the lifecycle names the replica, acknowledgements wait. The writer
 * keeps every batch until the commit, to give a new replica all of them should the first one's node die.
 */
public final class ScanWriter extends AbstractMatchingBehavior<WriterProtocol.Command> {
    private final long scanNumber;
    private final LocalListeners listeners;
    private ScanFile file;
    /** Every batch taken, in order, and which ones by worker: a batch sent again is stored once. */
    private final List<WriterProtocol.Frames> log = new ArrayList<>();
    private final Map<ActorRef<WorkerProtocol.Command>, LongHashSet> taken = new HashMap<>();
    private ActorRef<ReplicaProtocol.Command> replica;
    /** No other node is up to keep a replica: the writer acknowledges what it stores itself. */
    private boolean alone;
    /** Why storing failed (a full disk, say): the frames are acknowledged all the same, and the commit refused. */
    private String failure;

    public static Behavior<WriterProtocol.Command> create(long scanNumber, LocalListeners listeners) {
        return Behaviors.setup(context -> new ScanWriter(context, scanNumber, listeners));
    }

    private ScanWriter(ActorContext<WriterProtocol.Command> context, long scanNumber, LocalListeners listeners) {
        super(context);
        this.scanNumber = scanNumber;
        this.listeners = listeners;
    }

    /**
     * A writer stopped before its commit (abandoned, or its node shutting down) drops the file: nothing half-written
     * stays. Either way the scan's listener goes.
     */
    @Override
    public Behavior<WriterProtocol.Command> onSignal(org.apache.pekko.actor.typed.Signal signal) {
        if (signal instanceof org.apache.pekko.actor.typed.PostStop) {
            if (file != null) {
                file.abandon();
            }
            listeners.remove(scanNumber);
        }
        return this;
    }

    @Override
    public Behavior<WriterProtocol.Command> onMessage(WriterProtocol.Command command) throws IOException {
        if (command instanceof WriterProtocol.OpenFile open) {
            open.replyTo().tell(new CoordinatorProtocol.FileOpened(scanNumber, open(open.request())));
        } else if (command instanceof WriterProtocol.Frames frames) {
            if (taken.computeIfAbsent(frames.storedTo(), w -> new LongHashSet()).add(frames.batch())) {
                log.add(frames);
                if (failure == null) {
                    try {
                        store(frames);
                    } catch (IOException | RuntimeException e) {
                        failure = "writing the output failed: " + e.getMessage();
                        getContext().getLog().error("scan {}: {}", scanNumber, failure);
                    }
                }
            }
            // acknowledged even when not stored, so that no worker waits for ever: the commit says why
            acknowledge(frames);
        } else if (command instanceof WriterProtocol.UseReplica use) {
            replica = use.replica();
            alone = replica == null;
            log.forEach(this::acknowledge);
        } else if (command instanceof WriterProtocol.CommitFile commit) {
            commit(commit);
            file = null;
            return Behaviors.stopped();
        } else if (command instanceof WriterProtocol.RenderPictures render) {
            render.replyTo().tell(pictures(render));
        } else if (command instanceof WriterProtocol.AbandonFile) {
            return Behaviors.stopped(); // PostStop drops the file
        }
        return this;
    }

    /** A batch is stored once its replica has it (or, with no other node up, once it is in the file). */
    private void acknowledge(WriterProtocol.Frames frames) {
        if (replica != null) {
            replica.tell(frames);
        } else if (alone) {
            frames.storedTo().tell(new WorkerProtocol.FramesStored(scanNumber, frames.batch()));
        }
    }

    private GatewayProtocol.PicturesReply pictures(WriterProtocol.RenderPictures r) {
        if (file == null) {
            return new GatewayProtocol.NoPictures("scan " + scanNumber + " has no open file");
        }
        try {
            return file.picture(scanNumber, r.pattern(), r.brightField(), r.darkFieldInner(), r.darkFieldOuter());
        } catch (IllegalArgumentException e) {
            return new GatewayProtocol.NoPictures(e.getMessage());
        } catch (IOException | RuntimeException e) {
            getContext().getLog().warn("scan {}: its pictures could not be made: {}", scanNumber, e.toString());
            return new GatewayProtocol.NoPictures("the pictures could not be made: " + e.getMessage());
        }
    }

    private String open(ScanRequest request) {
        if (file != null) {
            return "";
        }
        try { // every node reads the references: one that cannot be read refuses the scan before it starts
            References.dark(request.dark() == null ? null : Path.of(request.dark()),
                    request.darkScan().stream().map(Path::of).toList());
            References.gain(request.gain() == null ? null : Path.of(request.gain()));
        } catch (NoSuchFileException e) {
            return "cannot read the references: " + e.getFile() + ": no such file or directory";
        } catch (IOException | RuntimeException e) {
            return "cannot read the references: " + e.getMessage();
        }
        try {
            file = new ScanFile(Path.of(request.output()), request.scanWidth(), request.scanHeight(),
                    request.framesPerPosition(), listeners.get(scanNumber));
            return "";
        } catch (IOException | RuntimeException e) {
            return "cannot create the output " + request.output() + ": " + e.getMessage();
        }
    }

    private void store(WriterProtocol.Frames frames) throws IOException {
        if (file == null) {
            getContext().getLog().warn("scan {}: {} counted frames arrived with no open file; dropped", scanNumber,
                    frames.frameNumbers().length);
            return;
        }
        int offset = 0;
        for (int i = 0; i < frames.frameNumbers().length; i++) {
            file.record(frames.frameNumbers()[i], frames.positions()[i], frames.complete()[i], frames.events(), offset,
                    frames.counts()[i]);
            offset += frames.counts()[i];
        }
    }

    private void writePictures() {
        try {
            file.writePictures();
        } catch (IOException | RuntimeException e) {
            getContext().getLog().warn("scan {}: its file is complete, but its pictures could not be written: {}",
                    scanNumber, e.toString());
        }
    }

    private void commit(WriterProtocol.CommitFile commit) {
        if (failure != null && file != null) {
            file.abandon();
            commit.replyTo().tell(new CoordinatorProtocol.FileClosed(scanNumber, "", 0, 0, 0, 0, 0, 0, failure));
            return;
        }
        if (file == null) {
            commit.replyTo().tell(new CoordinatorProtocol.FileClosed(scanNumber, "", 0, 0, 0, 0, 0, 0,
                    "scan " + scanNumber + " has no open file"));
            return;
        }
        try {
            ScanFile.Written w = file.commit(commit.attributes());
            writePictures(); // before the answer: whoever waits for the scan finds its pictures beside its file
            commit.replyTo().tell(new CoordinatorProtocol.FileClosed(scanNumber, w.file().toString(), w.frames(),
                    w.incomplete(), w.missing(), w.events(), w.extraFrames(), w.duplicates(), ""));
        } catch (IOException | RuntimeException e) {
            file.abandon();
            commit.replyTo().tell(new CoordinatorProtocol.FileClosed(scanNumber, "", 0, 0, 0, 0, 0, 0,
                    "writing the output failed: " + e.getMessage()));
        }
    }
}

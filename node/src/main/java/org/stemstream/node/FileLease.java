package org.stemstream.node;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.coordination.lease.LeaseSettings;
import org.apache.pekko.coordination.lease.javadsl.Lease;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Pekko lease kept in a file every node sees ({@code stemstream.cluster.lease-file}, on a shared filesystem): the
 * split brain resolver's {@code lease-majority} strategy keeps the side that holds it, so a cluster of two nodes
 * survives the death of either. The file holds the owner and, in milliseconds since the epoch, until when the lease
 * is theirs; the owner renews it every heartbeat interval, and a lease past its time is free. Each read and write is
 * made under the file's lock, so two nodes never both take it (the nodes' clocks must agree to well within the
 * heartbeat timeout, as NTP keeps them).
 */
public final class FileLease extends Lease {
    private static final Logger LOG = LoggerFactory.getLogger(FileLease.class);

    private final LeaseSettings settings;
    private final Path file;
    private final long timeoutMillis;
    /** One thread: every read and write of the file, and the renewals. */
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "file-lease");
        thread.setDaemon(true);
        return thread;
    });
    private volatile boolean held;
    private volatile Consumer<Optional<Throwable>> onLost = lost -> { };

    public FileLease(LeaseSettings settings, ExtendedActorSystem system) {
        this.settings = settings;
        this.file = Path.of(settings.leaseConfig().getString("file"));
        this.timeoutMillis = settings.timeoutSettings().getHeartbeatTimeout().toMillis();
        long interval = settings.timeoutSettings().getHeartbeatInterval().toMillis();
        worker.scheduleWithFixedDelay(this::renew, interval, interval, TimeUnit.MILLISECONDS);
        system.registerOnTermination(worker::shutdownNow);
    }

    @Override
    public LeaseSettings getSettings() {
        return settings;
    }

    @Override
    public CompletionStage<Boolean> acquire() {
        return acquire(lost -> { });
    }

    @Override
    public CompletionStage<Boolean> acquire(Consumer<Optional<Throwable>> leaseLostCallback) {
        return CompletableFuture.supplyAsync(() -> {
            onLost = leaseLostCallback;
            held = take(false);
            LOG.info("lease {} in {}: {}", settings.leaseName(), file, held ? "taken" : "held by another node");
            return held;
        }, worker);
    }

    @Override
    public CompletionStage<Boolean> release() {
        return CompletableFuture.supplyAsync(() -> {
            held = false;
            return free();
        }, worker);
    }

    @Override
    public boolean checkLease() {
        return held;
    }

    private void renew() {
        if (held && !take(true)) {
            held = false;
            LOG.warn("lease {} in {} lost", settings.leaseName(), file);
            onLost.accept(Optional.empty());
        }
    }

    /** Takes the lease (or, {@code onlyIfOurs}, keeps it) for another heartbeat timeout; false when another has it. */
    private boolean take(boolean onlyIfOurs) {
        try (FileChannel channel = open(); FileLock lock = channel.lock()) {
            String[] current = read(channel);
            boolean ours = current != null && current[0].equals(settings.ownerName());
            boolean free = current == null || Long.parseLong(current[1]) < System.currentTimeMillis();
            if (onlyIfOurs ? !ours : !ours && !free) {
                return false;
            }
            write(channel, settings.ownerName() + "\n" + (System.currentTimeMillis() + timeoutMillis) + "\n");
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.warn("lease file {}: {}", file, e.toString());
            return false;
        }
    }

    /** Frees the lease when it is ours. */
    private boolean free() {
        try (FileChannel channel = open(); FileLock lock = channel.lock()) {
            String[] current = read(channel);
            if (current != null && current[0].equals(settings.ownerName())) {
                write(channel, "");
            }
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.warn("lease file {}: {}", file, e.toString());
            return false;
        }
    }

    private FileChannel open() throws IOException {
        return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    /** The owner and the time the lease ends, or null when nobody holds it. */
    private static String[] read(FileChannel channel) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate((int) Math.min(channel.size(), 4096));
        channel.read(bytes, 0);
        String[] lines = new String(bytes.array(), 0, bytes.position(), StandardCharsets.UTF_8).split("\n");
        return lines.length < 2 || lines[0].isBlank() ? null : lines;
    }

    private static void write(FileChannel channel, String content) throws IOException {
        channel.truncate(0);
        channel.write(ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8)), 0);
        channel.force(false);
    }
}

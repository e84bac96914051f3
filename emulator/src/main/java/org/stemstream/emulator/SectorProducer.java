package org.stemstream.emulator;

import static org.stemstream.protocol.FrameGeometry.SECTOR_BYTES;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.stemstream.protocol.BlockHeader;
import org.stemstream.protocol.EndOfScan;
import org.stemstream.protocol.cluster.RoutingTable;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * One receiver server of the detector: sends its sector of every frame as a two-part message (the 16-byte block
 * header, then the 165,888-byte payload) to the node that owns the frame in the cluster's routing table, one PUSH
 * socket per node, and ends with an end of scan to every node (saying how many blocks that node got). It fetches
 * the table again every {@value #REFRESH_MILLIS} ms and follows a new one from its switch frame on. A full send queue
 * (the high-water mark) makes a send wait: that is how a slow node slows its detector.
 *
 * <p>With a send timeout, each block (and the first routing table, and the ends of scan) may wait that long in all,
 * every try and routing fetch included, and a routing table asked for must come within it; past it the producer
 * gives up with {@link NodesUnreachable}, and so do the other producers of the run ({@code abandoned}).
 */
final class SectorProducer implements Callable<Long> {
    private static final long REFRESH_MILLIS = 200;
    /** Without a send timeout: the tries a block gets before it counts as undeliverable. */
    private static final int RETRIES = 30;
    /** The longest one try waits before the producer looks at the routing table again. */
    private static final int TRY_MILLIS = 2_000;
    /** Without a send timeout: how long the first routing table may take. */
    private static final int FIRST_TABLE_MILLIS = 15_000;

    private final ZContext context;
    private final int sector;
    private final FrameFeed feed;
    private final DetectorEmulator.Settings settings;
    private final FaultInjection faults;
    private final AcquisitionStart start;
    private final AtomicBoolean abandoned;
    private long startNanos;
    private final Map<RoutingTable.Endpoint, ZMQ.Socket> sockets = new HashMap<>();
    private final Map<RoutingTable.Endpoint, Long> sentTo = new LinkedHashMap<>();
    private RoutingClient routing;
    private RoutingTable table;
    private RoutingTable previous;
    private long lastRefreshNanos;
    private long undeliverable;
    private long sent;
    private volatile long lastSentNanos;

    SectorProducer(ZContext context, int sector, FrameFeed feed, DetectorEmulator.Settings settings,
                   FaultInjection faults, AcquisitionStart start, AtomicBoolean abandoned) {
        this.context = context;
        this.sector = sector;
        this.feed = feed;
        this.settings = settings;
        this.faults = faults;
        this.start = start;
        this.abandoned = abandoned;
    }

    long lastSentNanos() {
        return lastSentNanos;
    }

    long undeliverable() {
        return undeliverable;
    }

    /**
     * Sends the sector's blocks and its ends of scan; returns the number of blocks sent. Stops early, without ends,
     * when another producer of the run gave up.
     */
    @Override
    public Long call() throws Exception {
        boolean finished = false;
        boolean ready = false;
        try (FrameFeed.SectorReader reader = feed.reader(sector)) {
            firstTable();
            ready = true;
            startNanos = start.await();
            if (sector == 0) {
                sendFaults(reader);
            }
            for (int i = 0; i < feed.frames() && !abandoned.get(); i++) {
                pace(i);
                BlockHeader header = reader.header(i);
                byte[] payload = reader.payload(i);
                if (payload != null && !faults.drops(sector, header.frameNumber())) {
                    if (send(header, payload)) {
                        sent++;
                    }
                    if (faults.duplicates(sector, header.frameNumber())) {
                        send(header, payload);
                    }
                }
                if (i == faults.pauseAfter()) {
                    Thread.sleep(faults.pause().toMillis());
                }
            }
            if (abandoned.get()) {
                return sent;
            }
            if (!faults.noEnd().contains(sector)) {
                sendEnds();
            }
            lastSentNanos = System.nanoTime();
            finished = true;
            return sent;
        } catch (Exception e) {
            abandoned.set(true);
            if (!ready) {
                start.withdraw();
            }
            throw e;
        } finally {
            int linger = lingerMillis(finished);
            sockets.values().forEach(socket -> {
                socket.setLinger(linger);
                socket.close();
            });
            if (routing != null) {
                routing.close();
            }
        }
    }

    /** How long closing waits for what is queued: not at all for an abandoned scan, at most the send timeout. */
    private int lingerMillis(boolean finished) {
        if (!finished) {
            return 0;
        }
        return settings.sendTimeoutMillis() < 0 ? settings.lingerMillis()
                : Math.min(settings.lingerMillis(), settings.sendTimeoutMillis());
    }

    private void firstTable() throws InterruptedException, NodesUnreachable {
        if (settings.direct()) {
            table = RoutingTable.roundRobin(0, 0, 1, List.of(new RoutingTable.Endpoint("direct", settings.host(),
                    settings.port())));
            return;
        }
        routing = new RoutingClient(context, settings.host(), settings.port());
        table = fetchTable(Deadline.after(settings.sendTimeoutMillis() >= 0 ? settings.sendTimeoutMillis()
                : FIRST_TABLE_MILLIS), " (is a node running there?)");
        lastRefreshNanos = System.nanoTime();
    }

    /**
     * Takes a newer table if there is one; frames below its switch frame keep the table before it. With a send
     * timeout a table must come before the deadline; without one, the table in hand stays when no node answers.
     */
    private void refresh(boolean now, Deadline deadline) throws NodesUnreachable, InterruptedException {
        if (routing == null || !now && System.nanoTime() - lastRefreshNanos < REFRESH_MILLIS * 1_000_000) {
            return;
        }
        lastRefreshNanos = System.nanoTime();
        RoutingTable fetched = fetchTable(deadline, " (did the nodes stop?)");
        if (fetched != null && fetched.epoch() > table.epoch()) {
            previous = table;
            table = fetched;
        }
    }

    private RoutingTable.Endpoint ownerOf(long frameNumber) {
        RoutingTable t = previous != null && frameNumber < table.effectiveFrom() ? previous : table;
        return t.ownerOf(frameNumber);
    }

    /**
     * Sends a block to its frame's owner, following the table while the owner does not take it. False when, without
     * a send timeout, no node took it in {@value #RETRIES} tries (its owner died and none took over).
     */
    private boolean send(BlockHeader header, byte[] payload) throws NodesUnreachable, InterruptedException {
        Deadline deadline = Deadline.after(settings.sendTimeoutMillis());
        refresh(false, deadline);
        for (int attempt = 1; ; attempt++) {
            RoutingTable.Endpoint owner = ownerOf(header.frameNumber());
            ZMQ.Socket socket = socketFor(owner);
            // direct: there is no table to follow, so the one try may take all the time there is
            socket.setSendTimeOut(settings.direct() ? deadline.remainingMillis() : deadline.slice(TRY_MILLIS));
            if (socket.sendMore(header.toBytes()) && socket.send(payload, 0)) {
                sentTo.merge(owner, 1L, Long::sum);
                return true;
            }
            if (deadline.passed()) {
                throw unreachable(owner.host() + ":" + owner.port() + " took no block of frame "
                        + header.frameNumber(), deadline, "");
            }
            if (attempt == RETRIES && !deadline.bounded()) {
                undeliverable++;
                return false;
            }
            refresh(true, deadline); // the owner may be gone: follow the table
        }
    }

    /**
     * The newest table the contacts give. With a bounded deadline they are asked again until one answers or it
     * passes: ZeroMQ queues blocks for a node that is gone, so the silence of its routing socket is what shows it.
     * Unbounded: one round of asking, null when none answers.
     */
    private RoutingTable fetchTable(Deadline deadline, String hint) throws NodesUnreachable, InterruptedException {
        while (true) {
            RoutingTable fetched = routing.fetch(deadline);
            if (fetched != null || !deadline.bounded()) {
                return fetched;
            }
            if (deadline.passed()) {
                throw unreachable("no routing table from " + String.join(", ", routing.contacts()), deadline, hint);
            }
            Thread.sleep(Math.min(200, deadline.remainingMillis()));
        }
    }

    /** Giving up: what could not be reached, within what time, and how far this sector got. */
    private NodesUnreachable unreachable(String what, Deadline deadline, String hint) {
        return new NodesUnreachable(String.format(Locale.ROOT, "sector %d: %s within %d ms%s; sent %d of %d blocks,"
                + " %d unsent", sector, what, deadline.millis(), hint, sent, feed.frames(), feed.frames() - sent));
    }

    /** An end of scan to every node of the table, and to any node of the tables used that got blocks. */
    private void sendEnds() throws NodesUnreachable, InterruptedException {
        Deadline deadline = Deadline.after(settings.sendTimeoutMillis());
        refresh(true, deadline);
        Set<RoutingTable.Endpoint> known = new HashSet<>(table.endpoints());
        if (previous != null) {
            known.addAll(previous.endpoints());
        }
        Set<RoutingTable.Endpoint> to = new LinkedHashSet<>(table.endpoints());
        sentTo.forEach((endpoint, blocks) -> {
            if (blocks > 0 && known.contains(endpoint)) {
                to.add(endpoint);
            }
        });
        for (RoutingTable.Endpoint endpoint : to) {
            long blocks = sentTo.getOrDefault(endpoint, 0L);
            ZMQ.Socket socket = socketFor(endpoint);
            // without a send timeout an end is offered for one try, as a node that died needs none
            socket.setSendTimeOut(deadline.bounded() ? deadline.remainingMillis() : TRY_MILLIS);
            if (!socket.send(new EndOfScan(feed.scanNumber(), sector, blocks).toBytes(), 0) && deadline.bounded()) {
                throw unreachable(endpoint.host() + ":" + endpoint.port() + " took no end of scan", deadline, "");
            }
        }
    }

    private ZMQ.Socket socketFor(RoutingTable.Endpoint endpoint) {
        return sockets.computeIfAbsent(endpoint, k -> {
            ZMQ.Socket socket = context.createSocket(SocketType.PUSH);
            socket.setSndHWM(settings.sendHighWaterMark());
            socket.setSendTimeOut(settings.direct() ? settings.sendTimeoutMillis() : TRY_MILLIS);
            socket.setLinger(settings.lingerMillis());
            socket.setImmediate(!settings.direct());
            socket.connect(endpoint.sector(sector));
            return socket;
        });
    }

    /** Waits until frame i is due at the configured rate (no wait without a rate). */
    private void pace(int i) {
        if (settings.framesPerSecond() <= 0) {
            return;
        }
        long due = startNanos + (long) (i * 1e9 / settings.framesPerSecond());
        for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
            LockSupport.parkNanos(wait);
        }
    }

    /** Malformed messages of each kind in turn, and blocks of another scan, to the first frame's owner. */
    private void sendFaults(FrameFeed.SectorReader reader) throws Exception {
        ZMQ.Socket socket = socketFor(ownerOf(reader.header(0).frameNumber()));
        byte[] header = reader.header(0).toBytes();
        byte[] payload = new byte[SECTOR_BYTES];
        for (int i = 0; i < faults.malformed(); i++) {
            sendMalformed(socket, i % 5, header, payload);
        }
        BlockHeader first = reader.header(0);
        BlockHeader foreign = new BlockHeader((first.scanNumber() + 1) & 0xFFFF_FFFFL, first.frameNumber(),
                first.scanWidth(), first.scanHeight(), first.x(), first.y());
        for (int i = 0; i < faults.foreignBlocks(); i++) {
            socket.sendMore(foreign.toBytes());
            socket.send(payload, 0);
        }
    }

    /** One malformed message of each kind: 3 parts, a short payload, a short header, two bad one-part messages. */
    private static void sendMalformed(ZMQ.Socket socket, int kind, byte[] header, byte[] payload) {
        switch (kind) {
            case 0 -> {
                socket.sendMore(header);
                socket.sendMore(payload);
                socket.send(new byte[1], 0);
            }
            case 1 -> {
                socket.sendMore(header);
                socket.send(new byte[100], 0);
            }
            case 2 -> {
                socket.sendMore(new byte[10]);
                socket.send(payload, 0);
            }
            case 3 -> socket.send(new byte[24], 0); // an end of scan without its mark
            default -> socket.send(payload, 0);
        }
    }
}

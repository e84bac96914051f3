package org.stemstream.emulator;

import static org.stemstream.protocol.FrameGeometry.SECTOR_BYTES;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
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
 */
final class SectorProducer implements Callable<Long> {
    private static final long REFRESH_MILLIS = 200;
    private static final int RETRIES = 30;

    private final ZContext context;
    private final int sector;
    private final FrameFeed feed;
    private final DetectorEmulator.Settings settings;
    private final FaultInjection faults;
    private final long startNanos;
    private final Map<RoutingTable.Endpoint, ZMQ.Socket> sockets = new HashMap<>();
    private final Map<RoutingTable.Endpoint, Long> sentTo = new LinkedHashMap<>();
    private RoutingClient routing;
    private RoutingTable table;
    private RoutingTable previous;
    private long lastRefreshNanos;
    private long undeliverable;
    private volatile long lastSentNanos;

    SectorProducer(ZContext context, int sector, FrameFeed feed, DetectorEmulator.Settings settings,
                   FaultInjection faults, long startNanos) {
        this.context = context;
        this.sector = sector;
        this.feed = feed;
        this.settings = settings;
        this.faults = faults;
        this.startNanos = startNanos;
    }

    long lastSentNanos() {
        return lastSentNanos;
    }

    long undeliverable() {
        return undeliverable;
    }

    /** Sends the sector's blocks and its ends of scan; returns the number of blocks sent. */
    @Override
    public Long call() throws Exception {
        try (FrameFeed.SectorReader reader = feed.reader(sector)) {
            firstTable();
            if (sector == 0) {
                sendFaults(reader);
            }
            long sent = 0;
            for (int i = 0; i < feed.frames(); i++) {
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
            if (!faults.noEnd().contains(sector)) {
                sendEnds();
            }
            lastSentNanos = System.nanoTime();
            return sent;
        } finally {
            sockets.values().forEach(context::destroySocket);
            if (routing != null) {
                routing.close();
            }
        }
    }

    private void firstTable() throws InterruptedException {
        if (settings.direct()) {
            table = RoutingTable.roundRobin(0, 0, 1, List.of(new RoutingTable.Endpoint("direct", settings.host(),
                    settings.port())));
            return;
        }
        routing = new RoutingClient(context, settings.host(), settings.port());
        long deadline = System.nanoTime() + 15_000_000_000L;
        while ((table = routing.fetch()) == null) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("sector " + sector + ": no routing table from "
                        + routing.contacts() + " (is a node running there?)");
            }
            Thread.sleep(200);
        }
        lastRefreshNanos = System.nanoTime();
    }

    /** Takes a newer table if there is one; frames below its switch frame keep the table before it. */
    private void refresh(boolean now) {
        if (routing == null || !now && System.nanoTime() - lastRefreshNanos < REFRESH_MILLIS * 1_000_000) {
            return;
        }
        lastRefreshNanos = System.nanoTime();
        RoutingTable fetched = routing.fetch();
        if (fetched != null && fetched.epoch() > table.epoch()) {
            previous = table;
            table = fetched;
        }
    }

    private RoutingTable.Endpoint ownerOf(long frameNumber) {
        RoutingTable t = previous != null && frameNumber < table.effectiveFrom() ? previous : table;
        return t.ownerOf(frameNumber);
    }

    /** Sends a block to its frame's owner; false when no node would take it (its owner died and none took over). */
    private boolean send(BlockHeader header, byte[] payload) {
        refresh(false);
        for (int attempt = 0; attempt < RETRIES; attempt++) {
            RoutingTable.Endpoint owner = ownerOf(header.frameNumber());
            ZMQ.Socket socket = socketFor(owner);
            if (socket.sendMore(header.toBytes()) && socket.send(payload, 0)) {
                sentTo.merge(owner, 1L, Long::sum);
                return true;
            }
            if (settings.direct()) {
                break;
            }
            refresh(true); // the owner may be gone: follow the table
        }
        if (settings.direct()) {
            throw new IllegalStateException("sector " + sector + ": sending a block to " + settings.host() + ":"
                    + settings.port() + " timed out after " + settings.sendTimeoutMillis() + " ms"
                    + " (is the node running?)");
        }
        undeliverable++;
        return false;
    }

    /** An end of scan to every node of the table, and to any node of the tables used that got blocks. */
    private void sendEnds() {
        refresh(true);
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
            socketFor(endpoint).send(new EndOfScan(feed.scanNumber(), sector, blocks).toBytes(), 0);
        }
    }

    private ZMQ.Socket socketFor(RoutingTable.Endpoint endpoint) {
        return sockets.computeIfAbsent(endpoint, k -> {
            ZMQ.Socket socket = context.createSocket(SocketType.PUSH);
            socket.setSndHWM(settings.sendHighWaterMark());
            socket.setSendTimeOut(settings.direct() ? settings.sendTimeoutMillis() : 2_000);
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

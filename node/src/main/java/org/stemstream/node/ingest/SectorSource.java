package org.stemstream.node.ingest;

import java.util.ArrayDeque;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.SourceShape;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;

/**
 * A stream source over one {@link SectorReceiver}. It grants the receiver's thread at most {@code prefetch} messages
 * ahead of the stream's demand and asks for another only as one is pushed downstream, so the socket is read only as
 * fast as the stream takes messages; the prefetch hides the hop between the socket thread and the stream.
 */
public final class SectorSource extends GraphStage<SourceShape<SectorMessage>> {
    private final SectorReceiver receiver;
    private final int prefetch;
    private final Outlet<SectorMessage> out;
    private final SourceShape<SectorMessage> shape;

    public SectorSource(SectorReceiver receiver, int prefetch) {
        this.receiver = receiver;
        this.prefetch = prefetch;
        this.out = Outlet.create("sector-" + receiver.sector());
        this.shape = SourceShape.of(out);
    }

    @Override
    public SourceShape<SectorMessage> shape() {
        return shape;
    }

    @Override
    public GraphStageLogic createLogic(Attributes attributes) {
        return new GraphStageLogic(shape) {
            /** Received but not yet pushed: never more than the prefetch. */
            private final ArrayDeque<SectorMessage> arrived = new ArrayDeque<>(prefetch);

            {
                setHandler(out, new AbstractOutHandler() {
                    @Override
                    public void onPull() {
                        pushOne();
                    }

                    @Override
                    public void onDownstreamFinish(Throwable cause) throws Exception {
                        receiver.close();
                        super.onDownstreamFinish(cause);
                    }
                });
            }

            @Override
            public void preStart() {
                receiver.start(createAsyncCallback((SectorMessage message) -> {
                    arrived.add(message);
                    pushOne();
                })::invoke);
                for (int i = 0; i < prefetch; i++) {
                    receiver.request();
                }
            }

            private void pushOne() {
                if (isAvailable(out) && !arrived.isEmpty()) {
                    push(out, arrived.poll());
                    receiver.request();
                }
            }
        };
    }
}

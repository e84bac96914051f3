package org.stemstream.node.ingress;

import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.SourceShape;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;

/**
 * A stream source over one {@link SectorReceiver}: every pull asks the receiver's thread for exactly one message, so
 * the socket is read only as fast as the stream takes messages.
 */
public final class SectorSource extends GraphStage<SourceShape<SectorMessage>> {
    private final SectorReceiver receiver;
    private final Outlet<SectorMessage> out;
    private final SourceShape<SectorMessage> shape;

    public SectorSource(SectorReceiver receiver) {
        this.receiver = receiver;
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
            {
                setHandler(out, new AbstractOutHandler() {
                    @Override
                    public void onPull() {
                        receiver.request();
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
                AsyncCallback<SectorMessage> arrived = createAsyncCallback(message -> push(out, message));
                receiver.start(arrived::invoke);
            }
        };
    }
}

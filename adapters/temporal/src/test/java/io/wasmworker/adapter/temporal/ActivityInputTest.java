package io.wasmworker.adapter.temporal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.Payloads;
import io.temporal.common.converter.DataConverter;
import io.temporal.common.converter.DefaultDataConverter;
import io.temporal.common.converter.EncodedValues;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Activity arguments as the SDK's default converter encodes them → guest input. */
class ActivityInputTest {
    private static final DataConverter CONVERTER = DefaultDataConverter.newDefaultInstance();

    private static String input(Object... args) {
        EncodedValues values = new EncodedValues(CONVERTER.toPayloads(args), CONVERTER);
        return new String(ActivityInput.toGuestInput(values), StandardCharsets.UTF_8);
    }

    @Test
    void oneObjectArgumentIsTheInput() {
        assertThat(input(Map.of("orderId", "A-1"))).isEqualTo("{\"orderId\":\"A-1\"}");
    }

    @Test
    void noArgumentIsAnEmptyObject() {
        assertThat(new String(
                        ActivityInput.toGuestInput(new EncodedValues(Optional.empty(), CONVERTER)),
                        StandardCharsets.UTF_8))
                .isEqualTo("{}");
    }

    @Test
    void anythingElseIsWrappedAsArgs() {
        assertThat(input("text")).isEqualTo("{\"args\":[\"text\"]}");
        assertThat(input(List.of(1, 2))).isEqualTo("{\"args\":[[1,2]]}");
        assertThat(input(Map.of("a", 1), 7, null)).isEqualTo("{\"args\":[{\"a\":1},7,null]}");
    }

    @Test
    void aBinaryArgumentIsRefusedSayingWhich() {
        Payload binary = Payload.newBuilder()
                .putMetadata("encoding", ByteString.copyFromUtf8("binary/plain"))
                .setData(ByteString.copyFrom(new byte[] {1, 2, 3}))
                .build();
        Payloads payloads = Payloads.newBuilder()
                .addPayloads(CONVERTER.toPayload("ok").orElseThrow())
                .addPayloads(binary)
                .build();
        assertThatThrownBy(() -> ActivityInput.toGuestInput(new EncodedValues(Optional.of(payloads), CONVERTER)))
                .isInstanceOf(ActivityInput.InvalidArgumentsException.class)
                .hasMessageStartingWith("activity argument 1 is not JSON");
    }
}

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

    /** One json/plain payload of bytes, as a client of another SDK may have written them. */
    private static EncodedValues jsonPayload(byte[] data) {
        Payload payload = Payload.newBuilder()
                .putMetadata("encoding", ByteString.copyFromUtf8("json/plain"))
                .setData(ByteString.copyFrom(data))
                .build();
        return new EncodedValues(
                Optional.of(Payloads.newBuilder().addPayloads(payload).build()), CONVERTER);
    }

    @Test
    void oneObjectIsPassedOnAsSentNotRewritten() {
        String sent = "{ \"orderId\" : \"A-1\",\n  \"lines\": [ {\"qty\": 2} ], \"price\": 1.50 }";
        assertThat(new String(
                        ActivityInput.toGuestInput(jsonPayload(sent.getBytes(StandardCharsets.UTF_8))),
                        StandardCharsets.UTF_8))
                .isEqualTo(sent);
    }

    @Test
    void anObjectWithSomethingAfterItIsReadByTheConverterAsBefore() {
        // not passed on as sent: the SDK's converter reads the first value and ignores the rest, as it did
        assertThat(new String(
                        ActivityInput.toGuestInput(jsonPayload("{\"a\":1} {\"b\":2}".getBytes(StandardCharsets.UTF_8))),
                        StandardCharsets.UTF_8))
                .isEqualTo("{\"a\":1}");
    }

    @Test
    void malformedJsonIsRefusedAsBefore() {
        for (String bad : List.of("{\"a\":", "{\"a\" 1}", "{\"a\":[1,}", "{\"a\":tru}")) {
            assertThatThrownBy(() -> ActivityInput.toGuestInput(jsonPayload(bad.getBytes(StandardCharsets.UTF_8))))
                    .as(bad)
                    .isInstanceOf(ActivityInput.InvalidArgumentsException.class)
                    .hasMessageStartingWith("activity argument 0 is not JSON");
        }
    }

    @Test
    void invalidUtf8InAStringIsRefusedAsBefore() {
        byte[] data = {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        assertThatThrownBy(() -> ActivityInput.toGuestInput(jsonPayload(data)))
                .isInstanceOf(ActivityInput.InvalidArgumentsException.class)
                .hasMessageStartingWith("activity argument 0 is not JSON");
    }

    @Test
    void anObjectUnderAnotherEncodingIsNotTakenAsJson() {
        Payload encoded = Payload.newBuilder()
                .putMetadata("encoding", ByteString.copyFromUtf8("binary/encrypted"))
                .setData(ByteString.copyFromUtf8("{\"a\":1}"))
                .build();
        assertThatThrownBy(() -> ActivityInput.toGuestInput(new EncodedValues(
                        Optional.of(Payloads.newBuilder().addPayloads(encoded).build()), CONVERTER)))
                .isInstanceOf(ActivityInput.InvalidArgumentsException.class)
                .hasMessageStartingWith("activity argument 0 is not JSON");
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

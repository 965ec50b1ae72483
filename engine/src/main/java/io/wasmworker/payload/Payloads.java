package io.wasmworker.payload;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wasmworker.host.StdinSource;
import io.wasmworker.s3.S3Clients;
import io.wasmworker.s3.S3Settings;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.sandbox.Outcome;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Large payloads by reference, in S3 (see {@link PayloadRef} for the JSON shape):
 *
 * <ul>
 *   <li>{@link #stdinFor}: an input holding references becomes a stdin that streams each referenced
 *       object in place of its reference, in constant memory. The input itself (small) stays within
 *       the input limit; the streamed whole within {@link PayloadSettings#maxStreamedBytes}. References
 *       must lie under the configured location.
 *   <li>{@link #offload}: each member of an output object larger than
 *       {@link PayloadSettings#offloadAbove} (or the whole output, if it is not an object) is written
 *       to {@code PREFIX/outputs/sha256/<hex>} and replaced by its reference.
 * </ul>
 */
public final class Payloads implements AutoCloseable {
    private static final JsonFactory JSON_FACTORY = new JsonFactory();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final S3Client s3;
    private final boolean ownsClient;
    private final PayloadSettings settings;

    public Payloads(S3Client s3, PayloadSettings settings) {
        this(s3, false, settings);
    }

    private Payloads(S3Client s3, boolean ownsClient, PayloadSettings settings) {
        this.s3 = s3;
        this.ownsClient = ownsClient;
        this.settings = settings;
    }

    /** Payloads with a client of their own, closed by {@link #close()}. */
    public static Payloads open(PayloadSettings settings, S3Settings s3) {
        return new Payloads(S3Clients.create(s3), true, settings);
    }

    public PayloadSettings settings() {
        return settings;
    }

    /**
     * The stdin for an input that references payloads; empty when it references none (the input is
     * then the stdin, as always). Looks each object up once, for its length and ETag.
     *
     * @throws PayloadException naming the reference when one is malformed, outside the payload
     *     location, missing or unreadable, or when the whole is larger than the streaming limit
     */
    public Optional<StdinSource> stdinFor(byte[] input) {
        List<int[]> spans = new ArrayList<>(); // [start, end) of each reference in the input
        List<String> uris = new ArrayList<>();
        try (JsonParser p = JSON_FACTORY.createParser(input)) {
            if (p.nextToken() != null) {
                scan(p, spans, uris);
            }
        } catch (IOException e) {
            return Optional.empty(); // not JSON: the input check says so, naming the problem
        }
        if (spans.isEmpty()) {
            return Optional.empty();
        }
        List<ReferencedStdin.Segment> segments = new ArrayList<>();
        int at = 0;
        long total = input.length;
        for (int i = 0; i < spans.size(); i++) {
            PayloadRef ref = allowed(uris.get(i));
            HeadObjectResponse head = head(ref);
            if (head.contentLength() == null || head.eTag() == null) {
                throw new PayloadException("the S3 server gave no length or ETag for the input's payload " + ref);
            }
            long length = head.contentLength();
            segments.add(new ReferencedStdin.Literal(Arrays.copyOfRange(input, at, spans.get(i)[0])));
            segments.add(new ReferencedStdin.Referenced(ref, length, head.eTag()));
            at = spans.get(i)[1];
            total += length - (spans.get(i)[1] - spans.get(i)[0]);
        }
        segments.add(new ReferencedStdin.Literal(Arrays.copyOfRange(input, at, input.length)));
        if (total > settings.maxStreamedBytes()) {
            throw new PayloadException("the input with its referenced payloads is " + total + " bytes, more than the"
                    + " streaming limit of " + settings.maxStreamedBytes() + " bytes");
        }
        return Optional.of(new ReferencedStdin(s3, segments));
    }

    /** Walks the value at the current token, noting each reference's byte span. */
    private static void scan(JsonParser p, List<int[]> spans, List<String> uris) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.START_ARRAY) {
            while (p.nextToken() != JsonToken.END_ARRAY) {
                scan(p, spans, uris);
            }
        } else if (t == JsonToken.START_OBJECT) {
            int start = (int) p.currentTokenLocation().getByteOffset();
            t = p.nextToken();
            if (t == JsonToken.FIELD_NAME && PayloadRef.FIELD.equals(p.currentName())) {
                t = p.nextToken();
                if (t == JsonToken.VALUE_STRING && p.getText().startsWith(PayloadRef.SCHEME)) {
                    String uri = p.getText();
                    t = p.nextToken();
                    if (t == JsonToken.END_OBJECT) {
                        spans.add(new int[] {start, (int) p.currentLocation().getByteOffset()});
                        uris.add(uri);
                        return;
                    }
                } else {
                    scan(p, spans, uris);
                    t = p.nextToken();
                }
            }
            while (t == JsonToken.FIELD_NAME) {
                p.nextToken();
                scan(p, spans, uris);
                t = p.nextToken();
            }
        }
    }

    private PayloadRef allowed(String uri) {
        PayloadRef ref;
        try {
            ref = PayloadRef.parse(uri);
        } catch (IllegalArgumentException e) {
            throw new PayloadException("the input's reference is malformed: " + e.getMessage());
        }
        if (!ref.bucket().equals(settings.location().bucket())
                || !ref.key().startsWith(settings.location().listPrefix())) {
            throw new PayloadException("the input references " + ref + ", outside the payload location "
                    + settings.location() + ": references may only point there");
        }
        return ref;
    }

    private HeadObjectResponse head(PayloadRef ref) {
        try {
            return s3.headObject(b -> b.bucket(ref.bucket()).key(ref.key()));
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                throw new PayloadException("the input references " + ref + ", which does not exist", e);
            }
            throw new PayloadException("cannot look up the input's payload " + ref + ": " + e.getMessage(), e);
        } catch (SdkException e) {
            throw new PayloadException("cannot look up the input's payload " + ref + ": " + e.getMessage(), e);
        }
    }

    /** An output with large values offloaded: the value for the orchestrator and its JSON text. */
    public record Offloaded(JsonNode output, byte[] json) {}

    /**
     * A run's result with a success's large output values offloaded ({@link #offload}); any other
     * result, or a success with nothing to offload, as it is.
     *
     * @throws PayloadException when a value cannot be written
     */
    public InvocationResult offloaded(InvocationResult result) {
        if (!(result.outcome() instanceof Outcome.Success success)) {
            return result;
        }
        return offload(success.output(), result.stdout())
                .map(o -> new InvocationResult(
                        new Outcome.Success(o.output()), o.json(), result.stderrTail(), result.metrics()))
                .orElse(result);
    }

    /**
     * The output with each large value written to S3 and replaced by its reference; empty when
     * nothing is large (the output stands as it is).
     *
     * @param output the decoded output
     * @param json   its JSON text, as the guest wrote it (the offloaded bytes are its exact slices)
     * @throws PayloadException when a value cannot be written
     */
    public Optional<Offloaded> offload(JsonNode output, byte[] json) {
        long above = settings.offloadAbove();
        if (above == 0 || json.length <= above) {
            return Optional.empty();
        }
        if (!(output instanceof ObjectNode object)) {
            return Optional.of(render(store(json, 0, json.length).toJson()));
        }
        boolean replaced = false;
        try (JsonParser p = JSON_FACTORY.createParser(json)) {
            p.nextToken(); // START_OBJECT: the decoder found one JSON object
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                int start = (int) p.currentTokenLocation().getByteOffset();
                p.skipChildren();
                p.finishToken(); // Jackson reads a string's text lazily: its end is known only then
                int end = (int) p.currentLocation().getByteOffset();
                if (end - start > above) {
                    object.set(name, store(json, start, end).toJson());
                    replaced = true;
                }
            }
        } catch (IOException e) {
            throw new PayloadException("cannot read the output to offload its large values: " + e.getMessage(), e);
        }
        return replaced ? Optional.of(render(object)) : Optional.empty();
    }

    private static Offloaded render(JsonNode output) {
        try {
            return new Offloaded(output, JSON.writeValueAsBytes(output));
        } catch (IOException e) {
            throw new PayloadException("cannot write the output: " + e.getMessage(), e);
        }
    }

    /** Writes bytes {@code [start, end)} under their digest (once) and returns their reference. */
    private PayloadRef store(byte[] json, int start, int end) {
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
        sha256.update(json, start, end - start);
        String hex = HexFormat.of().formatHex(sha256.digest());
        PayloadRef ref =
                new PayloadRef(settings.location().bucket(), settings.location().key("outputs", "sha256", hex));
        try {
            try {
                HeadObjectResponse head =
                        s3.headObject(b -> b.bucket(ref.bucket()).key(ref.key()));
                if (head.contentLength() == end - start) {
                    return ref; // content-addressed: a retry's output is already there
                }
            } catch (S3Exception e) {
                if (e.statusCode() != 404) {
                    throw e;
                }
            }
            s3.putObject(
                    b -> b.bucket(ref.bucket()).key(ref.key()).contentType("application/json"),
                    RequestBody.fromInputStream(new ByteArrayInputStream(json, start, end - start), end - start));
            return ref;
        } catch (SdkException e) {
            throw new PayloadException(
                    "cannot write an output value of " + (end - start) + " bytes to " + ref + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (ownsClient) {
            s3.close();
        }
    }
}

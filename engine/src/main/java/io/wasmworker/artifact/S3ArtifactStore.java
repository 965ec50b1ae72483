package io.wasmworker.artifact;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wasmworker.s3.S3Clients;
import io.wasmworker.s3.S3Conditions;
import io.wasmworker.s3.S3Location;
import io.wasmworker.s3.S3Settings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The artifact store in S3: {@code PREFIX/blobs/sha256/<hex>} holds a module's bytes and
 * {@code PREFIX/names/<name>} a small JSON object binding a name to a digest. Several workers on
 * several machines share it.
 *
 * <ul>
 *   <li>Every read verifies the digest, as the local store does: bytes changed in the bucket never run.
 *   <li>An object larger than the store's limit is refused by its {@code Content-Length} before its
 *       body is read, and no read takes more than one byte past the limit.
 *   <li>{@link #put} uploads once: an object already holding these bytes (its ETag, the MD5 of a
 *       single-part upload, equals theirs) is not sent again; a damaged or different one is replaced.
 *   <li>A name object carries a version counter and is replaced only by a conditional write
 *       ({@code If-None-Match: *} to create, {@code If-Match: <etag>} to advance). Rebinding is a
 *       compare-and-swap, so concurrent rebinds are serialised and each one's version is unique
 *       (the counter also keeps the ETags of equal bindings apart).
 * </ul>
 *
 * Every request is bounded by the client's {@link S3Settings}; a store error is an
 * {@link ArtifactException} naming the object.
 */
public final class S3ArtifactStore implements ArtifactStore {
    /** A name object is a digest, a version and a little JSON. */
    private static final int MAX_NAME_OBJECT_BYTES = 1024;
    /** Rebinding a name retries this often when another writer bound it in between. */
    private static final int MAX_BIND_ATTEMPTS = 16;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final S3Client s3;
    private final boolean ownsClient;
    private final S3Location location;
    private final S3Location blobs;
    private final S3Location names;
    private final long maxBytes;

    /** A store with its own client, closed by {@link #close()}. */
    public static S3ArtifactStore open(S3Location location, S3Settings settings) {
        return new S3ArtifactStore(S3Clients.create(settings), true, location, DEFAULT_MAX_BYTES);
    }

    /** A store on a client the caller owns. */
    public S3ArtifactStore(S3Client s3, S3Location location, long maxBytes) {
        this(s3, false, location, maxBytes);
    }

    private S3ArtifactStore(S3Client s3, boolean ownsClient, S3Location location, long maxBytes) {
        if (maxBytes < 1 || maxBytes > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("artifact size limit must be between 1 byte and 2 GiB, got " + maxBytes);
        }
        this.s3 = s3;
        this.ownsClient = ownsClient;
        this.location = location;
        this.blobs = location.child("blobs").child("sha256");
        this.names = location.child("names");
        this.maxBytes = maxBytes;
    }

    @Override
    public long maxBytes() {
        return maxBytes;
    }

    @Override
    public String location() {
        return location.toString();
    }

    @Override
    public Digest put(byte[] bytes) {
        if (bytes.length > maxBytes) {
            throw new ArtifactException("a module of " + bytes.length + " bytes is larger than the artifact store's"
                    + " limit of " + maxBytes + " bytes");
        }
        Digest digest = Digest.of(bytes);
        String key = blobKey(digest);
        Optional<HeadObjectResponse> head = head(key, "artifact " + digest);
        if (head.isPresent() && holds(head.get(), bytes)) {
            return digest;
        }
        try {
            s3.putObject(
                    b -> b.bucket(location.bucket()).key(key).contentType("application/wasm"),
                    RequestBody.fromBytes(bytes));
        } catch (SdkException e) {
            throw new ArtifactException(
                    "cannot store artifact " + digest + " at " + where(key) + ": " + e.getMessage(), e);
        }
        return digest;
    }

    /**
     * Whether the object already holds these bytes, judged by its size and ETag (the MD5 of a single-part
     * upload). An object whose ETag is not a plain MD5 (multipart, or encrypted with a KMS key) is
     * uploaded again: harmless, the bytes are the same. Reads verify the SHA-256 anyway.
     */
    private static boolean holds(HeadObjectResponse head, byte[] bytes) {
        String etag = head.eTag() == null ? "" : S3Conditions.ifMatch(head.eTag());
        return head.contentLength() != null
                && head.contentLength() == bytes.length
                && etag.equalsIgnoreCase(md5(bytes));
    }

    @Override
    public byte[] get(Digest digest) {
        String key = blobKey(digest);
        byte[] bytes = read(key, maxBytes, "artifact " + digest)
                .orElseThrow(() -> new ArtifactException.NotFound(
                        "artifact " + digest + " is not in the artifact store (" + where(key) + ")"));
        Digest actual = Digest.of(bytes);
        if (!actual.equals(digest)) {
            throw new ArtifactException.DigestMismatch(digest, actual, where(key));
        }
        return bytes;
    }

    @Override
    public boolean contains(Digest digest) {
        return head(blobKey(digest), "artifact " + digest).isPresent();
    }

    @Override
    public List<Digest> list() {
        List<Digest> digests = new ArrayList<>();
        for (S3Object o : objects(blobs, "artifacts")) {
            digestOf(o.key()).ifPresent(digests::add);
        }
        return digests;
    }

    @Override
    public void bindName(String name, Digest digest) {
        ArtifactRef.checkName(name);
        if (!contains(digest)) {
            throw new ArtifactException.NotFound("cannot name '" + name + "': " + digest + " is not in the store");
        }
        String key = names.key(name);
        for (int attempt = 0; attempt < MAX_BIND_ATTEMPTS; attempt++) {
            Optional<Binding> current;
            String etag;
            try {
                current = binding(name);
                etag = current.map(Binding::etag).orElse(null);
            } catch (DamagedName e) {
                // binding the name again is the repair: replace the damaged object as it is now
                current = Optional.empty();
                etag = head(key, "artifact name '" + name + "'")
                        .map(HeadObjectResponse::eTag)
                        .orElse(null);
            }
            long version = current.map(b -> b.version() + 1).orElse(1L);
            String expected = etag;
            ObjectNode json =
                    JSON.createObjectNode().put("digest", digest.toString()).put("version", version);
            RequestBody body = RequestBody.fromString(json + "\n", StandardCharsets.UTF_8);
            try {
                s3.putObject(
                        b -> {
                            b.bucket(location.bucket()).key(key).contentType("application/json");
                            if (expected != null) {
                                b.ifMatch(S3Conditions.ifMatch(expected));
                            } else {
                                b.ifNoneMatch("*");
                            }
                        },
                        body);
                return;
            } catch (S3Exception e) {
                if (!S3Conditions.lost(e)) {
                    throw new ArtifactException(
                            "cannot bind artifact name '" + name + "' at " + where(key) + ": " + e.getMessage(), e);
                }
                // another writer bound the name in between: read its binding and go again
            } catch (SdkException e) {
                throw new ArtifactException(
                        "cannot bind artifact name '" + name + "' at " + where(key) + ": " + e.getMessage(), e);
            }
        }
        throw new ArtifactException("cannot bind artifact name '" + name + "' at " + where(key) + ": other writers"
                + " rebound it " + MAX_BIND_ATTEMPTS + " times while this one tried; try again");
    }

    @Override
    public Optional<Digest> lookupName(String name) {
        return binding(name).map(Binding::digest);
    }

    /** A name's binding with the ETag and version it was read at. */
    private record Binding(Digest digest, long version, String etag) {}

    private Optional<Binding> binding(String name) {
        ArtifactRef.checkName(name);
        String key = names.key(name);
        ResponseInputStream<GetObjectResponse> in =
                open(key, "artifact name '" + name + "'").orElse(null);
        if (in == null) {
            return Optional.empty();
        }
        byte[] bytes;
        try (in) {
            long length =
                    in.response().contentLength() == null ? -1 : in.response().contentLength();
            if (length > MAX_NAME_OBJECT_BYTES) {
                in.abort();
                throw damagedName(name, key, "larger than a binding (" + length + " bytes)", null);
            }
            bytes = in.readNBytes(MAX_NAME_OBJECT_BYTES + 1);
        } catch (IOException | SdkException e) {
            throw new ArtifactException(
                    "cannot read artifact name '" + name + "' from " + where(key) + ": " + e.getMessage(), e);
        }
        if (bytes.length > MAX_NAME_OBJECT_BYTES) {
            throw damagedName(name, key, "larger than a binding", null);
        }
        try {
            JsonNode json = JSON.readTree(bytes);
            JsonNode digest = json == null ? null : json.get("digest");
            JsonNode version = json == null ? null : json.get("version");
            if (digest == null || !digest.isTextual() || version == null || !version.canConvertToLong()) {
                throw damagedName(name, key, "it does not hold a digest and a version", null);
            }
            return Optional.of(new Binding(
                    Digest.parse(digest.asText()),
                    version.asLong(),
                    in.response().eTag()));
        } catch (IOException | IllegalArgumentException e) {
            // not the parser's message: it would quote the object, which may hold anything
            throw damagedName(
                    name, key, "it does not hold a digest (expected {\"digest\":\"sha256:<64 hex>\",...})", e);
        }
    }

    private ArtifactException damagedName(String name, String key, String why, Throwable cause) {
        return new DamagedName(
                "artifact name object " + where(key) + " is damaged: " + why
                        + "; bind the name again with `wasm-worker artifacts put FILE --name " + name + "`",
                cause);
    }

    /** A name object that holds no binding (which binding the name again repairs). */
    private static final class DamagedName extends ArtifactException {
        DamagedName(String message, Throwable cause) {
            super(message, cause);
        }
    }

    @Override
    public Map<String, Digest> names() {
        Map<String, Digest> result = new TreeMap<>();
        for (S3Object o : objects(names, "artifact names")) {
            String name = lastPart(o.key());
            lookupName(name).ifPresent(d -> result.put(name, d));
        }
        return result;
    }

    @Override
    public List<Entry> inventory() {
        Map<String, Digest> bound = new TreeMap<>();
        List<Entry> entries = new ArrayList<>();
        for (S3Object o : objects(names, "artifact names")) {
            String name = lastPart(o.key());
            try {
                lookupName(name).ifPresent(d -> bound.put(name, d));
            } catch (ArtifactException | IllegalArgumentException e) {
                entries.add(new Entry(
                        Optional.empty(),
                        List.of(name),
                        where(o.key()),
                        "name '" + name + "' is damaged: " + e.getMessage()));
            }
        }
        List<Digest> stored = new ArrayList<>();
        for (S3Object o : objects(blobs, "artifacts")) {
            Optional<Digest> digest = digestOf(o.key());
            if (digest.isEmpty()) {
                entries.add(new Entry(
                        Optional.empty(),
                        List.of(),
                        where(o.key()),
                        "a stray object, not named by a sha256 hex digest"));
                continue;
            }
            stored.add(digest.get());
            List<String> its = bound.entrySet().stream()
                    .filter(e -> e.getValue().equals(digest.get()))
                    .map(Map.Entry::getKey)
                    .toList();
            String problem = null;
            try {
                get(digest.get());
            } catch (ArtifactException e) {
                problem = e.getMessage();
            }
            entries.add(new Entry(digest, its, where(o.key()), problem));
        }
        bound.forEach((name, digest) -> {
            if (!stored.contains(digest)) {
                entries.add(new Entry(
                        Optional.of(digest),
                        List.of(name),
                        where(names.key(name)),
                        "name '" + name + "' is bound to " + digest + ", which is not in the store"));
            }
        });
        return entries;
    }

    /** Closes the client if this store opened it. */
    @Override
    public void close() {
        if (ownsClient) {
            s3.close();
        }
    }

    /** The object's bytes, at most {@code max}: a larger object is refused by its length, unread. */
    private Optional<byte[]> read(String key, long max, String what) {
        ResponseInputStream<GetObjectResponse> in = open(key, what).orElse(null);
        if (in == null) {
            return Optional.empty();
        }
        try (in) {
            Long length = in.response().contentLength();
            if (length != null && length > max) {
                in.abort(); // not draining gigabytes to reuse a connection
                throw tooLarge(what, key, length + " bytes", max);
            }
            byte[] bytes = in.readNBytes((int) Math.min(max + 1, Integer.MAX_VALUE - 16));
            if (bytes.length > max) {
                in.abort();
                throw tooLarge(what, key, "over the limit", max);
            }
            return Optional.of(bytes);
        } catch (IOException | SdkException e) {
            throw new ArtifactException("cannot read " + what + " from " + where(key) + ": " + e.getMessage(), e);
        }
    }

    private ArtifactException tooLarge(String what, String key, String size, long max) {
        return new ArtifactException(what + " (" + where(key) + ") is " + size + ", more than the limit of " + max
                + " bytes for a module; refusing to read it");
    }

    /** The object's body, or empty when there is no such object. */
    private Optional<ResponseInputStream<GetObjectResponse>> open(String key, String what) {
        try {
            return Optional.of(s3.getObject(b -> b.bucket(location.bucket()).key(key)));
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw new ArtifactException("cannot read " + what + " from " + where(key) + ": " + e.getMessage(), e);
        } catch (SdkException e) {
            throw new ArtifactException("cannot read " + what + " from " + where(key) + ": " + e.getMessage(), e);
        }
    }

    private Optional<HeadObjectResponse> head(String key, String what) {
        try {
            return Optional.of(s3.headObject(b -> b.bucket(location.bucket()).key(key)));
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw new ArtifactException("cannot look up " + what + " at " + where(key) + ": " + e.getMessage(), e);
        } catch (SdkException e) {
            throw new ArtifactException("cannot look up " + what + " at " + where(key) + ": " + e.getMessage(), e);
        }
    }

    /** The objects directly under {@code dir}, in key order. */
    private List<S3Object> objects(S3Location dir, String what) {
        try {
            List<S3Object> result = new ArrayList<>();
            s3.listObjectsV2Paginator(b ->
                            b.bucket(location.bucket()).prefix(dir.listPrefix()).delimiter("/"))
                    .contents()
                    .forEach(result::add);
            return result;
        } catch (SdkException e) {
            throw new ArtifactException("cannot list the " + what + " in " + dir + ": " + e.getMessage(), e);
        }
    }

    private String blobKey(Digest digest) {
        return blobs.key(digest.hex());
    }

    private String where(String key) {
        return S3Location.SCHEME + location.bucket() + "/" + key;
    }

    private static Optional<Digest> digestOf(String key) {
        try {
            return Optional.of(Digest.parse(Digest.PREFIX + lastPart(key)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static String lastPart(String key) {
        return key.substring(key.lastIndexOf('/') + 1);
    }

    private static String md5(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no MD5", e);
        }
    }
}

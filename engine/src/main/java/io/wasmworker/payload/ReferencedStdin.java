package io.wasmworker.payload;

import io.wasmworker.host.StdinSource;
import io.wasmworker.s3.S3Conditions;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * A stdin made of the input's own bytes with each reference replaced by the referenced object's
 * bytes, read from S3 as the guest reads (one ranged GET per object, reopened at the position after a
 * resume or a broken connection). Every GET carries {@code If-Match} with the ETag the object had when
 * the task started, so the bytes at a position never change under a run: a replaced object fails the
 * run instead of mixing two payloads.
 */
final class ReferencedStdin implements StdinSource {
    /** A broken body stream is reopened at its position this often before the run fails. */
    private static final int MAX_REOPENS = 3;

    /** A piece of stdin: literal bytes of the input, or an object. */
    sealed interface Segment permits Literal, Referenced {
        long length();
    }

    record Literal(byte[] bytes) implements Segment {
        @Override
        public long length() {
            return bytes.length;
        }
    }

    record Referenced(PayloadRef ref, long length, String etag) implements Segment {}

    private final S3Client s3;
    private final List<Segment> segments;
    private final long[] starts;
    private final long length;

    private long position;
    private int segment;
    private InputStream body;

    ReferencedStdin(S3Client s3, List<Segment> segments) {
        this.s3 = s3;
        this.segments = List.copyOf(segments);
        this.starts = new long[segments.size()];
        long at = 0;
        for (int i = 0; i < segments.size(); i++) {
            starts[i] = at;
            at += segments.get(i).length();
        }
        this.length = at;
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public String identity() {
        StringBuilder id = new StringBuilder();
        for (Segment s : segments) {
            if (s instanceof Referenced r) {
                id.append(id.isEmpty() ? "" : "; ")
                        .append(r.ref())
                        .append(" etag=")
                        .append(S3Conditions.ifMatch(r.etag()))
                        .append(" length=")
                        .append(r.length());
            }
        }
        return id.toString();
    }

    @Override
    public int read(byte[] into, int off, int len) {
        if (len == 0 || position >= length) {
            return 0;
        }
        while (position >= starts[segment] + segments.get(segment).length()) {
            segment++; // skips empty segments too
        }
        Segment s = segments.get(segment);
        long inSegment = position - starts[segment];
        int n = (int) Math.min(len, s.length() - inSegment);
        if (s instanceof Literal l) {
            System.arraycopy(l.bytes(), (int) inSegment, into, off, n);
        } else {
            n = readObject((Referenced) s, inSegment, into, off, n);
        }
        position += n;
        if (position == starts[segment] + s.length()) {
            closeBody();
        }
        return n;
    }

    private int readObject(Referenced r, long offset, byte[] into, int off, int len) {
        for (int attempt = 0; ; attempt++) {
            try {
                if (body == null) {
                    body = open(r, offset);
                }
                int n = body.read(into, off, len);
                if (n > 0) {
                    return n;
                }
                throw new IOException("the object ended after " + offset + " of its " + r.length() + " bytes");
            } catch (IOException | SdkException e) {
                closeBody();
                if (e instanceof S3Exception s3e && S3Conditions.lost(s3e)) {
                    throw new Unavailable(
                            "the input's payload " + r.ref() + " changed or disappeared while the task ran (it was"
                                    + " " + r.length() + " bytes with ETag " + r.etag() + "); refusing to mix two"
                                    + " payloads: retry the task to start it on the current one",
                            e);
                }
                if (attempt >= MAX_REOPENS) {
                    throw new Unavailable(
                            "cannot read the input's payload " + r.ref() + " at byte " + offset + ": " + e.getMessage(),
                            e);
                }
            }
        }
    }

    private InputStream open(Referenced r, long offset) {
        return s3.getObject(b -> b.bucket(r.ref().bucket())
                .key(r.ref().key())
                .ifMatch(S3Conditions.ifMatch(r.etag()))
                .range("bytes=" + offset + "-" + (r.length() - 1)));
    }

    @Override
    public void seek(long to) {
        if (to < 0 || to > length) {
            throw new IllegalArgumentException(
                    "stdin position " + to + " is outside the input of " + length + " bytes");
        }
        closeBody();
        position = to;
        segment = 0;
    }

    @Override
    public void close() {
        closeBody();
    }

    private void closeBody() {
        if (body != null) {
            try {
                if (body instanceof software.amazon.awssdk.core.ResponseInputStream<?> r) {
                    r.abort(); // not draining the rest of a large object to reuse the connection
                }
                body.close();
            } catch (IOException | RuntimeException ignored) {
                // the stream is done with either way
            }
            body = null;
        }
    }
}

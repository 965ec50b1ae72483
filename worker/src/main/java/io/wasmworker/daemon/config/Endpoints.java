package io.wasmworker.daemon.config;

import io.wasmworker.host.HttpEndpoint;
import io.wasmworker.host.HttpEndpoints;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The engine's endpoints from an artifact's {@code endpoints} settings, defaults applied, header files
 * read. Everything wrong is an {@link IllegalArgumentException} naming the field under the endpoint
 * ({@code headerFiles.Authorization: ...}), for the caller to place.
 */
public final class Endpoints {
    /** A header value read from a file: a token or a key, never a document. */
    static final int MAX_HEADER_FILE_BYTES = 16 * 1024;

    /** The first word of the engine's complaint about an endpoint, and the field it is about. */
    private static final Map<String, String> FIELDS = Map.of(
            "url", "url",
            "method", "methods",
            "path", "paths",
            "header", "headers",
            "connectTimeout", "connectTimeout",
            "timeout", "timeout",
            "maxRequest", "maxRequest",
            "maxResponse", "maxResponse");

    private Endpoints() {}

    /** @param base the configuration file's directory: {@code headerFiles} relative paths start there */
    public static HttpEndpoints of(Map<String, WorkerConfig.Endpoint> settings, Path base) {
        List<HttpEndpoint> endpoints = new ArrayList<>();
        new TreeMap<>(settings).forEach((name, e) -> endpoints.add(endpoint(name, e, base)));
        return HttpEndpoints.of(endpoints);
    }

    static HttpEndpoint endpoint(String name, WorkerConfig.Endpoint e, Path base) {
        URI uri;
        try {
            uri = new URI(e.url());
        } catch (URISyntaxException x) {
            throw new IllegalArgumentException("url: '" + e.url() + "' is not a URL: " + x.getReason());
        }
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.putAll(e.headers());
        e.headerFiles().forEach((header, file) -> {
            if (headers.containsKey(header)) {
                throw new IllegalArgumentException(
                        "headerFiles." + header + ": header '" + header + "' is also set under 'headers'; set it once");
            }
            headers.put(header, read(header, base.resolve(file).normalize()));
        });
        try {
            return new HttpEndpoint(
                    name,
                    uri,
                    new LinkedHashSet<>(e.methods()),
                    e.paths(),
                    headers,
                    e.connectTimeout() == null ? HttpEndpoint.DEFAULT_CONNECT_TIMEOUT : e.connectTimeout(),
                    e.timeout() == null ? HttpEndpoint.DEFAULT_TIMEOUT : e.timeout(),
                    e.maxRequest() == null
                            ? HttpEndpoint.DEFAULT_MAX_REQUEST_BYTES
                            : e.maxRequest().bytes(),
                    e.maxResponse() == null
                            ? HttpEndpoint.DEFAULT_MAX_RESPONSE_BYTES
                            : e.maxResponse().bytes());
        } catch (IllegalArgumentException x) {
            // the engine names the endpoint; the caller names where it is, down to the field
            String message = x.getMessage().replaceFirst("^endpoint '[^']*': ", "");
            String field = FIELDS.get(message.split(" ", 2)[0]);
            throw new IllegalArgumentException(field == null ? message : field + ": " + message, x);
        }
    }

    /** The file's contents, less one final line break. */
    private static String read(String header, Path file) {
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_HEADER_FILE_BYTES + 1);
        } catch (NoSuchFileException x) {
            throw new IllegalArgumentException("headerFiles." + header + ": file " + file + " does not exist");
        } catch (IOException x) {
            throw new IllegalArgumentException("headerFiles." + header + ": cannot read " + file + ": " + x);
        }
        if (bytes.length > MAX_HEADER_FILE_BYTES) {
            throw new IllegalArgumentException("headerFiles." + header + ": " + file + " is larger than "
                    + MAX_HEADER_FILE_BYTES + " bytes, too large for a header value");
        }
        String value = new String(bytes, StandardCharsets.UTF_8);
        value = value.endsWith("\r\n")
                ? value.substring(0, value.length() - 2)
                : value.endsWith("\n") ? value.substring(0, value.length() - 1) : value;
        if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
            throw new IllegalArgumentException(
                    "headerFiles." + header + ": " + file + " holds more than one line; a header value is one line");
        }
        return value;
    }
}

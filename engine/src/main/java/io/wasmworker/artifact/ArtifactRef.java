package io.wasmworker.artifact;

import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * How configuration names an artifact: by digest, or by a name that the artifact store binds to a
 * digest. A name is resolved again for every new task (see {@code TaskRunner}), so rebinding it
 * deploys a new version; the digest is always what runs.
 */
public final class ArtifactRef {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private final Digest digest;
    private final String name;

    private ArtifactRef(Digest digest, String name) {
        this.digest = digest;
        this.name = name;
    }

    public static ArtifactRef parse(String text) {
        Objects.requireNonNull(text, "artifact reference");
        if (Digest.looksLikeDigest(text)) {
            return new ArtifactRef(Digest.parse(text), null);
        }
        return new ArtifactRef(null, checkName(text));
    }

    public static String checkName(String name) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid artifact name '" + name
                    + "': use 1-128 characters of letters, digits, '.', '_' and '-', starting with a letter or digit,"
                    + " or a digest sha256:<64 hex>");
        }
        return name;
    }

    public Optional<Digest> digest() {
        return Optional.ofNullable(digest);
    }

    public Optional<String> name() {
        return Optional.ofNullable(name);
    }

    @Override
    public String toString() {
        return digest != null ? digest.toString() : name;
    }
}

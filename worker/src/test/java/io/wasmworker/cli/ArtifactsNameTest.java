package io.wasmworker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.wasmworker.artifact.Digest;
import io.wasmworker.artifact.LocalArtifactStore;
import io.wasmworker.testing.Guests;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code artifacts put --name} says whether it bound a new name, moved one, or found it bound already. */
class ArtifactsNameTest {
    @TempDir
    Path home;

    private String put(String guest) {
        List<String> args = new ArrayList<>(List.of(
                "artifacts", "put", Guests.path(guest).toString(), "--name", "pricing", "--home", home.toString()));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.execute(args.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
        assertThat(exit).as(err.toString()).isZero();
        return out.toString();
    }

    @Test
    void rebindingANameSaysWhichDigestItMovedFrom() {
        Digest first = Digest.of(Guests.bytes("order-pricing"));
        Digest second = Digest.of(Guests.bytes("order-pricing-zig"));

        assertThat(put("order-pricing")).endsWith("(name: pricing)" + System.lineSeparator());
        assertThat(put("order-pricing")).contains("(name: pricing, already bound to it)");
        assertThat(put("order-pricing-zig"))
                .startsWith(second.toString())
                .contains("(name: pricing, moved from " + first + ")");
        assertThat(new LocalArtifactStore(home.resolve("artifacts")).lookupName("pricing"))
                .contains(second);
    }
}

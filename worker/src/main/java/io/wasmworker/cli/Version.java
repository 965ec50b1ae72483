package io.wasmworker.cli;

import io.wasmworker.abi.AbiV1;
import picocli.CommandLine;

final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = Main.class.getPackage().getImplementationVersion();
        return new String[] {
            "wasm-worker " + (v == null ? "dev" : v) + " (guest ABI v" + AbiV1.VERSION + ", Chicory 1.7.5, Java "
                    + Runtime.version() + ")"
        };
    }
}

package io.wasmworker.cli;

import io.wasmworker.artifact.ArtifactException;
import io.wasmworker.module.InvalidModuleException;
import io.wasmworker.sandbox.Outcome;
import java.nio.file.NoSuchFileException;

/** The process exit codes of the CLI. */
final class ExitCodes {
    static final int SUCCESS = 0;
    static final int GUEST_FAILURE = 1;
    static final int USAGE = 2;
    static final int BUSINESS_ERROR = 3;

    private ExitCodes() {}

    static int of(Outcome outcome) {
        if (outcome instanceof Outcome.Success) {
            return SUCCESS;
        }
        if (outcome instanceof Outcome.BusinessError) {
            return BUSINESS_ERROR;
        }
        return ((Outcome.Failure) outcome).kind() == io.wasmworker.sandbox.FailureKind.INVALID_INPUT
                ? USAGE
                : GUEST_FAILURE;
    }

    /** A one-line description of an error for the user: our own messages already name the culprit. */
    static String describe(Exception e) {
        if (e instanceof ArtifactException
                || e instanceof InvalidModuleException
                || e instanceof io.wasmworker.checkpoint.store.CorruptSnapshotException
                || e instanceof IllegalArgumentException
                || e instanceof io.wasmworker.payload.PayloadException
                || e instanceof io.wasmworker.daemon.config.ConfigException
                || e instanceof TestbedSession.TestbedException) {
            return e.getMessage();
        }
        if (e instanceof NoSuchFileException) {
            return "no such file: " + e.getMessage();
        }
        return e.toString();
    }
}

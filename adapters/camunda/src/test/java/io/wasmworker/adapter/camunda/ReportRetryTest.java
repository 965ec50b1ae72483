package io.wasmworker.adapter.camunda;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import org.camunda.bpm.client.exception.BadRequestException;
import org.camunda.bpm.client.exception.ConnectionLostException;
import org.camunda.bpm.client.exception.EngineException;
import org.camunda.bpm.client.exception.NotFoundException;
import org.camunda.bpm.client.exception.RestException;
import org.camunda.bpm.client.exception.UnknownHttpErrorException;
import org.junit.jupiter.api.Test;

class ReportRetryTest {
    private static RestException rest(int status, String type, Integer code, String message) {
        RestException e = new RestException(message, type, code);
        e.setHttpStatusCode(status);
        return e;
    }

    @Test
    void concurrentModificationsAndLostConnectionsAreTransient() {
        RestException locking = rest(
                500,
                "OptimisticLockingException",
                1,
                "ENGINE-03005 Execution of 'UPDATE ExternalTaskEntity[42]' failed. Entity was updated by another "
                        + "transaction concurrently.");
        assertThat(ReportRetry.isTransient(new EngineException("complete failed", locking)))
                .isTrue();
        assertThat(ReportRetry.isTransient(new EngineException("x", rest(500, null, null, "ENGINE-03005 ..."))))
                .isTrue();
        assertThat(ReportRetry.isTransient(new ConnectionLostException("reset", new IOException("reset"))))
                .isTrue();
        assertThat(ReportRetry.isTransient(new UnknownHttpErrorException("x", rest(503, null, null, "busy"))))
                .isTrue();
    }

    @Test
    void refusalsAndOtherEngineErrorsAreNot() {
        assertThat(ReportRetry.isTransient(new NotFoundException("gone", rest(404, "RestException", null, "gone"))))
                .isFalse();
        assertThat(ReportRetry.isTransient(new BadRequestException(
                        "locked by w2", rest(400, "BadUserRequestException", null, "locked by worker w2"))))
                .isFalse();
        assertThat(ReportRetry.isTransient(new EngineException(
                        "x", rest(500, "ProcessEnginePersistenceException", 0, "value too long for column"))))
                .isFalse();
        assertThat(ReportRetry.isTransient(new IllegalStateException("bug"))).isFalse();
    }

    @Test
    void theBackoffDoubles() {
        ReportRetry retry = new ReportRetry(5, Duration.ofMillis(200), Duration.ofSeconds(15));
        assertThat(retry.delayBefore(1)).isEqualTo(Duration.ofMillis(200));
        assertThat(retry.delayBefore(3)).isEqualTo(Duration.ofMillis(800));
    }
}

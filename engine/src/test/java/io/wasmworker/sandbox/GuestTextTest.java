package io.wasmworker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.NullNode;
import org.junit.jupiter.api.Test;

class GuestTextTest {
    @Test
    void plainTextIsLeftAlone() {
        String text = "step 1 of 3: ok\tdone — über ✓";
        assertThat(GuestText.escapeLine(text)).isSameAs(text);
        assertThat(GuestText.escapeLines(text + "\nnext")).isEqualTo(text + "\nnext");
    }

    @Test
    void controlsThatRewindDriveOrReorderTheDisplayAreEscaped() {
        String hostile = "ok\rFAKE\u001b[2J\u0007\b\u007f\u009b31m\u2028\u202eevil\u2066x";
        assertThat(GuestText.escapeLine(hostile))
                .isEqualTo("ok\\rFAKE\\u001b[2J\\u0007\\u0008\\u007f\\u009b31m\\u2028\\u202eevil\\u2066x");
    }

    @Test
    void aLineHasItsNewlinesEscapedTextKeepsThem() {
        assertThat(GuestText.escapeLine("a\nb\r\n")).isEqualTo("a\\nb\\r\\n");
        assertThat(GuestText.escapeLines("a\nb\r\n")).isEqualTo("a\nb\\r\n");
    }

    @Test
    void theOneLineReportEscapesTheGuestsWords() {
        var business = new InvocationResult(
                new Outcome.BusinessError("E\u001b[31m\nFAKE", "m", NullNode.getInstance()),
                new byte[0],
                new byte[0],
                InvocationMetrics.notRun(0, 0, "business_error"));
        assertThat(business.report())
                .contains("code=E\\u001b[31m\\nFAKE")
                .doesNotContain("\u001b")
                .doesNotContain("\n");
        var failure = new InvocationResult(
                new Outcome.Failure(FailureKind.INVALID_OUTPUT, "not JSON: \r\u001b[1A"),
                new byte[0],
                new byte[0],
                InvocationMetrics.notRun(0, 0, "invalid_output"));
        assertThat(failure.report()).contains("reason=\"not JSON: \\r\\u001b[1A\"");
    }
}

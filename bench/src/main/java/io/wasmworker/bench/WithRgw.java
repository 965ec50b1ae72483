package io.wasmworker.bench;

import io.wasmworker.testbed.s3.Rgw;
import java.util.ArrayList;
import java.util.List;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs JMH (same arguments as {@code java -jar benchmarks.jar}) with one Ceph RGW on loopback for all
 * forks: started here, passed to the forks as {@code -Dwasmworker.bench.s3=<endpoint>}, stopped when
 * this JVM exits. {@code bench/run.sh} uses it when {@code WITH_RGW=1}.
 */
public final class WithRgw {
    private WithRgw() {}

    public static void main(String[] args) throws Exception {
        CommandLineOptions cli = new CommandLineOptions(args);
        String endpoint = Rgw.shared().endpoint().toString();
        System.out.println("# Ceph RGW on " + endpoint);
        List<String> append = new ArrayList<>(cli.getJvmArgsAppend().orElse(List.of()));
        append.add("-D" + BenchS3.ENDPOINT_PROPERTY + "=" + endpoint);
        new Runner(new OptionsBuilder()
                        .parent(cli)
                        .jvmArgsAppend(append.toArray(String[]::new))
                        .build())
                .run();
    }
}

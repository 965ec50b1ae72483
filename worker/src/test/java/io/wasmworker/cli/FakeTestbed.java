package io.wasmworker.cli;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Stands in for the test bed's {@code dev} side in {@link TestbedSessionTest}: {@code dev DIR ENGINE},
 * where DIR's file name picks what it does (the protocol is in {@link TestbedSession}); a ready line
 * names the engine's version as {@code ENGINE-9.9}.
 */
public final class FakeTestbed {
    private FakeTestbed() {}

    public static void main(String[] args) throws Exception {
        System.err.println("fake test bed: " + String.join(" ", args));
        switch (Path.of(args[1]).getFileName().toString()) {
            case "exits" -> System.exit(3);
            case "errs" -> System.out.println("error Camunda was not ready within PT3M");
            case "half-ready" -> System.out.println("ready camunda=http://127.0.0.1:1/engine-rest queue=orders");
            case "serves" -> {
                System.out.println("banner of something that prints at start");
                System.out.println("ready camunda=http://127.0.0.1:1/engine-rest cockpit=http://127.0.0.1:1/camunda"
                        + " temporal=127.0.0.1:2 queue=orders version=" + args[2] + "-9.9");
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                for (String line; (line = in.readLine()) != null; ) {
                    System.out.println("say   instance 1 done");
                    System.out.println("say ");
                    System.out.println(line.equals("demo") ? "demo ok" : "demo failed");
                }
                System.exit(0); // the end of stdin: stop
            }
            default -> throw new IllegalArgumentException("unknown scenario " + args[1]);
        }
    }
}

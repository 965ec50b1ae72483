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
            case "s3-without-bucket" ->
                System.out.println(
                        "ready camunda=http://127.0.0.1:1/engine-rest"
                                + " cockpit=http://127.0.0.1:1/camunda temporal=127.0.0.1:2 queue=orders s3=http://127.0.0.1:3");
            case "serves-s3" -> {
                // with --s3 (the last argument) the S3 server too; long-work commands answered as the real one does
                System.out.println("ready camunda=http://127.0.0.1:1/engine-rest cockpit=http://127.0.0.1:1/camunda"
                        + " temporal=127.0.0.1:2 queue=orders version=v stock=http://127.0.0.1:4"
                        + (args[args.length - 1].equals("--s3")
                                ? " s3=http://127.0.0.1:3 bucket=dev-1 s3key=k s3secret=s"
                                : ""));
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                for (String line; (line = in.readLine()) != null; ) {
                    String[] command = line.split(" ");
                    switch (command[0]) {
                        case "demo" ->
                            System.out.println(line.equals("demo without-long-work") ? "demo ok" : "demo failed");
                        case "start-long-work" -> System.out.println("started pi-" + command[1] + "-" + command[2]);
                        case "await-long-work" -> System.out.println("long-work 00ff" + command[1] + " worker-b");
                        default -> System.out.println("error unknown command");
                    }
                }
                System.exit(0);
            }
            default -> throw new IllegalArgumentException("unknown scenario " + args[1]);
        }
    }
}

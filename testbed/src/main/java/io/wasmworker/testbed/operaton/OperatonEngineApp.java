package io.wasmworker.testbed.operaton;

import io.wasmworker.testbed.auth.BearerAuthConfiguration;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Import;

/**
 * A real Operaton engine (the Camunda 7 fork) with its REST API at {@code /engine-rest} and Cockpit at
 * {@code /operaton}, on an in-memory H2 database (see {@code application.properties}). Camunda's
 * starters share the jar: their auto-configuration (and with it Camunda's Spin plugin) stays off here.
 */
@SpringBootApplication(
        excludeName = {
            "org.camunda.bpm.spring.boot.starter.CamundaBpmAutoConfiguration",
            "org.camunda.bpm.spring.boot.starter.rest.CamundaBpmRestJerseyAutoConfiguration",
            "org.camunda.bpm.spring.boot.starter.webapp.CamundaBpmWebappAutoConfiguration"
        })
@Import(BearerAuthConfiguration.class) // off unless started with --testbed.bearer-key
public class OperatonEngineApp {
    public static void main(String[] args) {
        SpringApplication.run(OperatonEngineApp.class, args);
    }
}

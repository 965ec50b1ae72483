package io.wasmworker.testbed.camunda;

import io.wasmworker.testbed.auth.BearerAuthConfiguration;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Import;

/**
 * A real Camunda 7.24 engine with its REST API at {@code /engine-rest}, on an in-memory H2
 * database (see {@code application.properties}). Tests and {@code dev} deploy BPMN over REST.
 * Operaton's starters share the jar: their auto-configuration stays off here.
 */
@SpringBootApplication(
        excludeName = {
            "org.operaton.bpm.spring.boot.starter.OperatonBpmAutoConfiguration",
            "org.operaton.bpm.spring.boot.starter.rest.OperatonBpmRestJerseyAutoConfiguration",
            "org.operaton.bpm.spring.boot.starter.webapp.OperatonBpmWebappAutoConfiguration"
        })
@Import(BearerAuthConfiguration.class) // off unless started with --testbed.bearer-key
public class CamundaEngineApp {
    public static void main(String[] args) {
        SpringApplication.run(CamundaEngineApp.class, args);
    }
}

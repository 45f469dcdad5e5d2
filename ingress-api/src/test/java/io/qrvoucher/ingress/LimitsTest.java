package io.qrvoucher.ingress;

import org.junit.jupiter.api.Test;

/** The bank's limits as the web app reads them ({@code GET /api/limits}) instead of carrying its own. */
class LimitsTest extends IngressTestBase {

    @Test
    void theLimitsAreTheBanksConfiguredOnesForTheCallersAccounts() {
        alice.get("/api/limits").exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.voucherCaps.CNY").isEqualTo("1000.00")
                .jsonPath("$.defaultVoucherCap").isEqualTo("1000.00")
                .jsonPath("$.accounts[0].accountId").isEqualTo("alice-cny")
                .jsonPath("$.accounts[0].voucherCap").isEqualTo("1000.00")
                .jsonPath("$.accounts[0].dailyOutwardLimit").exists()
                .jsonPath("$.counterCodeSeconds").isEqualTo(30)
                .jsonPath("$.maxLiveVouchers").isEqualTo(20);
        http.get().uri("/api/limits").exchange().expectStatus().isUnauthorized().expectBody(Void.class);
        http.get().uri("/v3/api-docs").exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.paths['/api/limits'].get").exists();
    }
}

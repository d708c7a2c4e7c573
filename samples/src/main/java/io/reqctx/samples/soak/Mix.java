package io.reqctx.samples.soak;

import java.util.Random;

/**
 * One request's share of the soak's mix, drawn from its own seeded {@link Random}.
 *
 * <table>
 *   <caption>The mix</caption>
 *   <tr><th>what</th><th>values (share)</th></tr>
 *   <tr><td>client budget ({@code reqctx-budget-ms})</td><td>2000 (30 %), 1000 (20 %), 5000 (15 %), 300 (10 %),
 *       40 (10 %: refused below order's 50 ms minimum), none (15 %: the gateway's 5 s cap)</td></tr>
 *   <tr><td>cache delay</td><td>0 (70 %), 300 (15 %), 900 (10 %: past the cache's 800 ms cap), 1500 (5 %)</td></tr>
 *   <tr><td>inventory delay</td><td>0 (85 %), 200 (10 %), 1200 (5 %)</td></tr>
 *   <tr><td>client cancel</td><td>the plan's fraction, after 5 to 300 ms</td></tr>
 * </table>
 *
 * @param budgetMs the client's budget, 0 for none
 * @param cancelAfterMs when the client gives up, -1 when it waits for the answer
 */
record Mix(long budgetMs, int cacheDelayMs, int inventoryDelayMs, long cancelAfterMs) {

  static Mix draw(Random random, double cancelFraction) {
    double b = random.nextDouble();
    long budget = b < 0.30 ? 2000 : b < 0.50 ? 1000 : b < 0.65 ? 5000 : b < 0.75 ? 300 : b < 0.85 ? 40 : 0;
    double c = random.nextDouble();
    int cache = c < 0.70 ? 0 : c < 0.85 ? 300 : c < 0.95 ? 900 : 1500;
    double i = random.nextDouble();
    int inventory = i < 0.85 ? 0 : i < 0.95 ? 200 : 1200;
    long cancel = random.nextDouble() < cancelFraction ? 5 + random.nextInt(296) : -1;
    return new Mix(budget, cache, inventory, cancel);
  }
}

/** route's ranking, on stderr (stdout belongs to the command): every eligible host, best first. */

import type { Ranked, Request } from "../dispatch/rank.ts";
import { describeRequest, formatSize } from "../dispatch/size.ts";
import type { Output } from "./out.ts";
import { renderTable } from "./table.ts";

export async function printRanking(out: Output, ranked: Ranked[], r: Request): Promise<void> {
  out.errLine(`pool: route (${describeRequest(r)}${r.pack ? ", pack" : ""})`);
  const rows = ranked.map((x, i) => [
    i === 0 && x.qualifies ? "→" : " ",
    x.name,
    x.roomBytes === null ? "room -" : `room ${formatSize(x.roomBytes)}`,
    x.loadPerCpu === null ? "load/cpu -" : `load/cpu ${x.loadPerCpu.toFixed(2)}`,
    x.gpus.length > 0 ? `gpus ${x.gpus.join(",")}` : "",
    x.why ?? "",
  ]);
  out.errLine((await renderTable(rows)).trimEnd());
}

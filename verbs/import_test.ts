import { assertEquals } from "../tests/assert.ts";
import { literalHosts } from "./import.ts";

Deno.test("literalHosts() reads a comment where OpenSSH does: at a line's or a word's start", () => {
  const config = [
    "Host gpu#2 web  # two hosts",
    "# Host commented",
    "Host *.lan !bastion box",
    "  HostName 10.0.0.1 # not a Host line",
    "host=db",
  ].join("\n");
  assertEquals(literalHosts(config), ["gpu#2", "web", "box", "db"]);
});

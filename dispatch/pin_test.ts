import { assertEquals } from "../tests/assert.ts";
import { envPrefix, gpuEnv } from "./pin.ts";

Deno.test("gpuEnv() pins NVIDIA GPUs in nvidia-smi's numbering", () => {
  assertEquals(gpuEnv([0, 3], "nvidia"), {
    CUDA_VISIBLE_DEVICES: "0,3",
    CUDA_DEVICE_ORDER: "PCI_BUS_ID",
    POOL_GPUS: "0,3",
  });
  assertEquals(gpuEnv([], "nvidia"), {});
});

Deno.test("gpuEnv() gives HIP the numbers ROCR leaves visible, not the physical ones", () => {
  assertEquals(gpuEnv([2, 5], "amd"), {
    ROCR_VISIBLE_DEVICES: "2,5",
    HIP_VISIBLE_DEVICES: "0,1",
    POOL_GPUS: "2,5",
  });
});

Deno.test("envPrefix() sets the pins before the command, so the command's own values win", () => {
  assertEquals(
    envPrefix(gpuEnv([1], "nvidia")),
    "export CUDA_VISIBLE_DEVICES=1 CUDA_DEVICE_ORDER=PCI_BUS_ID POOL_GPUS=1; ",
  );
  assertEquals(envPrefix({}), "");
});

"""agent_program: an agent program of agents/: one main() over the agent
runtime and the policy registry (agent_flags.h, schedulers/policies.h),
linked static so that the lab VM runs it as is."""

def agent_program(name, srcs):
    native.cc_binary(
        name = name,
        srcs = srcs,
        linkopts = ["-static"],
        visibility = ["//visibility:public"],
        deps = [
            "//agents/common:agent_flags",
            "//schedulers:policies",
            "@abseil",
        ],
    )

#include "ui/cli/trace_command.hpp"

#include "common/error.hpp"
#include "machine/trace_diff.hpp"

#include <cstdio>
#include <fstream>
#include <memory>

namespace hvlab::ui {
namespace {

struct DiffOptions {
    std::string a, b;
    size_t context = 3;
};

int diff(const DiffOptions& o) {
    std::ifstream fa(o.a), fb(o.b);
    if (!fa) throw UserError("cannot read trace '" + o.a + "'");
    if (!fb) throw UserError("cannot read trace '" + o.b + "'");
    const auto d = machine::first_divergence(fa, fb, o.context);
    if (!d) return 0;
    std::printf("traces differ at line %zu\n", d->line);
    for (const std::string& l : d->context) std::printf("  %s\n", l.c_str());
    std::printf("- %s\n", d->left ? d->left->c_str() : "(end of trace)");
    std::printf("+ %s\n", d->right ? d->right->c_str() : "(end of trace)");
    std::printf("(- %s, + %s)\n", o.a.c_str(), o.b.c_str());
    return 1;
}

} // namespace

void add_trace_command(CLI::App& app, int* exit_status) {
    CLI::App* trace = app.add_subcommand("trace", "Work with event traces");
    trace->require_subcommand(1);
    auto o = std::make_shared<DiffOptions>();
    CLI::App* d = trace->add_subcommand("diff", "Print the first divergence of two traces");
    d->add_option("a", o->a, "Expected trace")->required();
    d->add_option("b", o->b, "Actual trace")->required();
    d->add_option("-C,--context", o->context, "Equal lines shown before the divergence");
    d->callback([o, exit_status] { *exit_status = diff(*o); });
}

} // namespace hvlab::ui

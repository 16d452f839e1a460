// Runs one of scripts/bench.sh's guests (a raw image linked at 0x4008_0000)
// on dynarmic's A64 JIT, without a machine: flat RAM at 0x4000_0000 reached
// through dynarmic's page table, the PL011's registers through the memory
// callbacks (UARTDR writes go to stdout, UARTFR reads as QEMU's idle value),
// semihosting's HLT #0xF000 answered here (SYS_EXIT_EXTENDED, SYS_EXIT,
// SYS_WRITEC, SYS_WRITE0), and CNTVCT_EL0 from the host's clock at 62.5 MHz
// (QEMU's CNTFRQ_EL0; dynarmic has no CNTVCT_EL0, so its reads are answered
// here). dynarmic runs user code only: system-register writes
// (the guests' VBAR_EL1 set-up) are skipped and counted, reads give 0; a
// guest that needs its MMU cannot run here (use the guests' -flat variants).
//
// Usage: dynarmic-run IMAGE
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include <dynarmic/interface/A64/a64.h>
#include <dynarmic/interface/A64/config.h>

namespace {

constexpr std::uint64_t kRam = 0x4000'0000, kRamSize = 128 << 20, kLoad = 0x4008'0000;
constexpr std::uint64_t kUart = 0x0900'0000;
constexpr std::uint32_t kHltSemihost = 0xD45E'0000;
constexpr std::uint64_t kExitApp = 0x20026;
constexpr std::uint64_t kFrequency = 62'500'000;
constexpr unsigned kAddressBits = 32;

struct Env final : Dynarmic::A64::UserCallbacks {
    std::vector<std::uint8_t> ram = std::vector<std::uint8_t>(kRamSize);
    Dynarmic::A64::Jit *jit = nullptr;
    std::optional<std::string> error;
    std::optional<int> status;
    std::optional<std::uint64_t> pending;  // PC of an instruction to handle here
    std::uint64_t skipped = 0;
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();

    std::uint8_t *at(std::uint64_t a, std::size_t n) {
        if (a >= kRam && a - kRam + n <= kRamSize)
            return &ram[a - kRam];
        return nullptr;
    }
    void stop(std::string why) {
        if (!error)
            error = std::move(why);
        jit->HaltExecution();
    }
    template <typename T> T read(std::uint64_t a) {
        T v{};
        if (auto *p = at(a, sizeof(T)))
            std::memcpy(&v, p, sizeof(T));
        else if (a >= kUart && a < kUart + 0x1000)
            v = static_cast<T>(a - kUart == 0x18 ? 0x90 : 0);  // UARTFR: TXFE | RXFE
        else
            stop("read of unmapped address " + std::to_string(a));
        return v;
    }
    template <typename T> void write(std::uint64_t a, T v) {
        if (auto *p = at(a, sizeof(T)))
            std::memcpy(p, &v, sizeof(T));
        else if (a == kUart)
            std::fputc(static_cast<int>(v & 0xff), stdout);
        else if (!(a > kUart && a < kUart + 0x1000))
            stop("write to unmapped address " + std::to_string(a));
    }

    std::optional<std::uint32_t> MemoryReadCode(std::uint64_t a) override {
        if (at(a, 4))
            return read<std::uint32_t>(a);
        return std::nullopt;
    }
    std::uint8_t MemoryRead8(std::uint64_t a) override { return read<std::uint8_t>(a); }
    std::uint16_t MemoryRead16(std::uint64_t a) override { return read<std::uint16_t>(a); }
    std::uint32_t MemoryRead32(std::uint64_t a) override { return read<std::uint32_t>(a); }
    std::uint64_t MemoryRead64(std::uint64_t a) override { return read<std::uint64_t>(a); }
    Dynarmic::A64::Vector MemoryRead128(std::uint64_t a) override {
        return {read<std::uint64_t>(a), read<std::uint64_t>(a + 8)};
    }
    void MemoryWrite8(std::uint64_t a, std::uint8_t v) override { write(a, v); }
    void MemoryWrite16(std::uint64_t a, std::uint16_t v) override { write(a, v); }
    void MemoryWrite32(std::uint64_t a, std::uint32_t v) override { write(a, v); }
    void MemoryWrite64(std::uint64_t a, std::uint64_t v) override { write(a, v); }
    void MemoryWrite128(std::uint64_t a, Dynarmic::A64::Vector v) override {
        write(a, v[0]);
        write(a + 8, v[1]);
    }
    void InterpreterFallback(std::uint64_t pc, std::size_t) override {
        pending = pc;
        jit->HaltExecution();
    }
    void CallSVC(std::uint32_t swi) override { stop("SVC #" + std::to_string(swi)); }
    void ExceptionRaised(std::uint64_t pc, Dynarmic::A64::Exception e) override {
        using Dynarmic::A64::Exception;
        if (e == Exception::UnallocatedEncoding) {
            pending = pc;
            jit->HaltExecution();
        } else if (e != Exception::Yield && e != Exception::SendEvent && e != Exception::SendEventLocal &&
                   e != Exception::WaitForEvent) {
            stop("exception " + std::to_string(static_cast<int>(e)) + " at pc " + std::to_string(pc));
        }
    }
    void AddTicks(std::uint64_t) override {}
    std::uint64_t GetTicksRemaining() override { return 1'000'000'000; }
    std::uint64_t GetCNTPCT() override {
        auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start);
        return static_cast<std::uint64_t>(ns.count()) * kFrequency / 1'000'000'000;
    }

    // The instruction dynarmic could not run: semihosting or a system
    // register access. Returns false when the run is over.
    bool handle(std::uint64_t pc) {
        std::uint32_t word = read<std::uint32_t>(pc);
        if (word == kHltSemihost) {
            std::uint64_t op = jit->GetRegister(0), arg = jit->GetRegister(1);
            switch (op) {
            case 0x20:  // SYS_EXIT_EXTENDED: [reason, status]
                if (read<std::uint64_t>(arg) != kExitApp) {
                    error = "exit reason " + std::to_string(read<std::uint64_t>(arg));
                    return false;
                }
                status = static_cast<int>(read<std::uint64_t>(arg + 8) & 0xff);
                return false;
            case 0x18:  // SYS_EXIT
                status = arg == kExitApp ? 0 : 1;
                return false;
            case 0x03:  // SYS_WRITEC
                std::fputc(read<std::uint8_t>(arg), stderr);
                break;
            case 0x04:  // SYS_WRITE0
                for (std::uint8_t c; (c = read<std::uint8_t>(arg)) != 0; arg++)
                    std::fputc(c, stderr);
                break;
            default:
                jit->SetRegister(0, ~0ULL);
            }
        } else if ((word & ~0x1fu) == 0xd53b'e040) {
            // MRS Xt, CNTVCT_EL0 (dynarmic gives only CNTPCT_EL0): the
            // guest's counter, from the host's clock.
            if ((word & 0x1f) != 31)
                jit->SetRegister(word & 0x1f, GetCNTPCT());
        } else if ((word & 0xffc0'0000) == 0xd500'0000) {
            // System instruction or register move (MSR/MRS/SYS): skipped; an
            // MRS reads 0.
            if (word & (1u << 21) && (word & 0x1f) != 31)
                jit->SetRegister(word & 0x1f, 0);
            skipped++;
        } else {
            char buf[64];
            std::snprintf(buf, sizeof buf, "undefined instruction %08x at pc %llx", word,
                          static_cast<unsigned long long>(pc));
            error = buf;
            return false;
        }
        jit->SetPC(pc + 4);
        return true;
    }
};

}  // namespace

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: dynarmic-run IMAGE\n");
        return 2;
    }
    std::ifstream in(argv[1], std::ios::binary);
    std::vector<char> image((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Env env;
    if (in.bad() || image.empty() || image.size() > kRamSize - (kLoad - kRam)) {
        std::fprintf(stderr, "dynarmic-run: cannot read %s (or it does not fit in RAM)\n", argv[1]);
        return 2;
    }
    std::memcpy(env.at(kLoad, image.size()), image.data(), image.size());

    // RAM's pages straight from the page table; the UART's page is left out
    // so its accesses reach the callbacks.
    std::vector<void *> table(std::size_t{1} << (kAddressBits - 12), nullptr);
    for (std::uint64_t a = kRam; a < kRam + kRamSize; a += 4096)
        table[a >> 12] = env.at(a, 4096);

    Dynarmic::A64::UserConfig config;
    config.callbacks = &env;
    config.page_table = table.data();
    config.page_table_address_space_bits = kAddressBits;
    config.silently_mirror_page_table = false;
    config.cntfrq_el0 = kFrequency;
    config.wall_clock_cntpct = true;
    config.enable_cycle_counting = false;
    Dynarmic::A64::Jit jit(config);
    env.jit = &jit;
    jit.SetPC(kLoad);
    jit.SetPstate(0x3c5);

    while (!env.error && !env.status) {
        jit.Run();
        if (env.pending) {
            std::uint64_t pc = *env.pending;
            env.pending.reset();
            if (!env.handle(pc))
                break;
        } else if (!env.error) {
            env.error = "halted at pc " + std::to_string(jit.GetPC());
        }
    }
    std::fflush(stdout);
    std::fprintf(stderr, "dynarmic-run: %llu system instructions skipped\n",
                 static_cast<unsigned long long>(env.skipped));
    if (env.error) {
        std::fprintf(stderr, "dynarmic-run: %s\n", env.error->c_str());
        return 1;
    }
    return *env.status;
}

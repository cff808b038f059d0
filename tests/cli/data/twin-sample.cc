// The C++ sample of tests/cli/accel.bats: compiled by the root's g++ emulated and by its twin, the
// objects and the linked programs must be the same bytes. What a twin could get wrong in C++:
// templates (COMDAT groups, weak symbols), exceptions (unwind tables, personality, typeinfo), iostream
// and <string>/<map>/<vector> from the root's libstdc++ headers, virtual calls, lambdas, static init.
#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

template <typename T, int N> struct Ring {
        T items[N] = {};
        int next = 0;
        void push(const T &x) { items[next++ % N] = x; }
        T sum() const { return std::accumulate(items, items + N, T{}); }
};

struct Shape {
        virtual ~Shape() = default;
        virtual double area() const = 0;
        virtual std::string name() const = 0;
};

struct Rect : Shape {
        double w, h;
        Rect(double w, double h) : w(w), h(h) {}
        double area() const override { return w * h; }
        std::string name() const override { return "rect"; }
};

struct Square : Rect {
        explicit Square(double s) : Rect(s, s) {}
        std::string name() const override { return "square"; }
};

class parse_error : public std::runtime_error {
public:
        explicit parse_error(const std::string &what) : std::runtime_error("parse: " + what) {}
};

int parse(const std::string &s) {
        if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
                throw parse_error("not a number: '" + s + "'");
        return std::stoi(s);
}

std::map<std::string, int> counts(const std::vector<std::string> &words) {
        std::map<std::string, int> m;
        for (const auto &w : words)
                ++m[w];
        return m;
}

const std::string banner = std::string("twin") + "-sample"; // dynamic initialisation

} // namespace

int main(int argc, char **argv) {
        std::vector<std::string> args(argv + 1, argv + argc);
        Ring<long, 4> ring;
        int bad = 0;

        for (const auto &a : args) {
                try {
                        ring.push(parse(a));
                } catch (const parse_error &e) {
                        std::cout << e.what() << '\n';
                        bad++;
                }
        }
        std::vector<std::unique_ptr<Shape>> shapes;
        shapes.push_back(std::make_unique<Rect>(2, 3.5));
        shapes.push_back(std::make_unique<Square>(1.5));
        std::sort(shapes.begin(), shapes.end(), [](const auto &a, const auto &b) { return a->area() < b->area(); });
        std::ostringstream out;
        out << banner << ": sum " << ring.sum() << ", bad " << bad;
        for (const auto &s : shapes)
                out << ", " << s->name() << ' ' << s->area();
        for (const auto &[w, n] : counts(args))
                out << ", " << w << '*' << n;
        std::cout << out.str() << std::endl;
        return 0;
}

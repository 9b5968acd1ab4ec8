#include "pipecut/mip/model.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace pipecut::mip {

VarId MipModel::add_variable(double lower, double upper, double objective, bool integer) {
  variables_.push_back(Variable{lower, upper, objective, integer});
  return static_cast<VarId>(variables_.size()) - 1;
}

void MipModel::add_row(std::vector<Term> terms, double lower, double upper) {
  for (const Term& t : terms)
    if (t.var < 0 || t.var >= num_variables()) throw std::logic_error("MipModel: bad variable id");
  rows_.push_back(Row{std::move(terms), lower, upper});
}

void MipModel::fix(VarId v, double value) {
  variables_.at(v).lower = value;
  variables_.at(v).upper = value;
}

double MipModel::objective_value(const std::vector<double>& values) const {
  double total = 0.0;
  for (int j = 0; j < num_variables(); ++j) total += variables_[j].objective * values.at(j);
  return total;
}

double MipModel::max_violation(const std::vector<double>& values) const {
  if (static_cast<int>(values.size()) != num_variables()) return kInfinity;
  double worst = 0.0;
  for (int j = 0; j < num_variables(); ++j) {
    const Variable& var = variables_[j];
    worst = std::max({worst, var.lower - values[j], values[j] - var.upper});
    if (var.integer) worst = std::max(worst, std::abs(values[j] - std::round(values[j])));
  }
  for (const Row& row : rows_) {
    double activity = 0.0;
    for (const Term& t : row.terms) activity += t.coefficient * values[t.var];
    worst = std::max({worst, row.lower - activity, activity - row.upper});
  }
  return worst;
}

}  // namespace pipecut::mip

"""The closed-form item-item part of the model (EASE): pure tensor functions, fitted before training."""

from __future__ import annotations

import numpy as np
import torch

from movierecs.model.histories import History


def item_gram(histories: list[History], size: int, chunk: int = 4096) -> torch.Tensor:
    """``XᵀX`` (float64) of the binary users×items matrix over the first ``size`` vocabulary items."""
    gram = torch.zeros(size, size, dtype=torch.float64)
    for start in range(0, len(histories), chunk):
        block = histories[start:start + chunk]
        x = torch.zeros(len(block), size + 1, dtype=torch.float32)
        for row, history in enumerate(block):
            x[row, torch.from_numpy(np.minimum(history.items, size + 1) - 1)] = 1.0
        x = x[:, :size]
        gram += (x.t() @ x).to(torch.float64)
    return gram


def fit_item_item(gram: torch.Tensor, l2: float) -> torch.Tensor:
    """EASE (Steck 2019): ``B = I - P / diag(P)``, ``P = (XᵀX + λI)⁻¹``, zero diagonal, X binary users×items."""
    inverse = torch.linalg.inv(gram + l2 * torch.eye(gram.shape[0], dtype=torch.float64))
    weights = -inverse / torch.diagonal(inverse).unsqueeze(0)
    weights.fill_diagonal_(0.0)
    return weights.to(torch.float32)

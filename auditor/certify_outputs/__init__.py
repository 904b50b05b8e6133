"""An audit's findings in the forms other tools read: JUnit XML for CI, OSCAL for GRC tools."""

from .junit import JunitCounts, write_junit
from .oscal_results import write_assessment_results

__all__ = ["JunitCounts", "write_assessment_results", "write_junit"]
